"""Rows that belong to a member carry the member's union, and the database keeps it so.

A district's back office lists its members' mutual-aid enrolments, claims and aid years and
their convalescence nominations. Reaching the union through each row's member cost one
member lookup per row: tens of thousands for a district's (capped) count. These tables keep
the member's union in their own `organization` column instead, and PostgreSQL keeps it true:

- a trigger sets it from the member row whenever a row is written (application code never
  sets it). It reads the member row FOR KEY SHARE, the lock a foreign key check takes anyway,
  so a transfer committing at that moment is waited for, never missed;
- a foreign key from (member, union) to the member's (id, organization), ON UPDATE CASCADE,
  moves the rows in the same statement that moves the member, whoever moves them.
"""

from django.db import migrations, models

_FUNCTION = "member_union_fill"

CREATE_FUNCTION = migrations.RunSQL(
    f"""
    CREATE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT organization_id INTO NEW.organization_id
          FROM members_member WHERE id = NEW.member_id FOR KEY SHARE;
        RETURN NEW;
    END
    $$;
    """,
    f"DROP FUNCTION {_FUNCTION}();",
)


def _union_column(null: bool):
    return models.ForeignKey(
        "members.organization", on_delete=models.PROTECT, related_name="+", editable=False, default=None, null=null,
        verbose_name="union",
    )


def follow_member_union(model_name: str, table: str) -> list:
    """The migration steps that give `table` the member's union (members.members_union_field):
    the column, filled in for the rows already there, then kept by the trigger and the key."""
    trigger, key = f"{table}_union_fill", f"{table}_member_union_fk"
    return [
        migrations.AddField(model_name=model_name, name="organization", field=_union_column(null=True)),
        migrations.RunSQL(
            f"UPDATE {table} AS t SET organization_id = m.organization_id"
            f" FROM members_member AS m WHERE m.id = t.member_id;"
            # Check the new values now: a table with checks pending cannot be altered next.
            " SET CONSTRAINTS ALL IMMEDIATE;",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(model_name=model_name, name="organization", field=_union_column(null=False)),
        migrations.RunSQL(
            f"""
            CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE OF member_id, organization_id ON {table}
                FOR EACH ROW EXECUTE FUNCTION {_FUNCTION}();
            ALTER TABLE {table} ADD CONSTRAINT {key} FOREIGN KEY (member_id, organization_id)
                REFERENCES members_member (id, organization_id) ON UPDATE CASCADE
                DEFERRABLE INITIALLY DEFERRED;
            """,
            f"ALTER TABLE {table} DROP CONSTRAINT {key}; DROP TRIGGER {trigger} ON {table};",
        ),
    ]
