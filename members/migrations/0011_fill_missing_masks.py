from django.db import migrations

from unionportal.core.pii import decrypt, mask_id_number, mask_phone

CHUNK = 5000


def _fill_missing(connection, table: str, column: str, masked: str, mask) -> None:
    """Store the mask of each row whose masked copy is missing, a chunk of rows at a time by id."""
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, {column} FROM {table} WHERE id > %s AND {column} <> '' AND {masked} = '' "
                f"ORDER BY id LIMIT %s",
                [last, CHUNK],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            cursor.execute(
                f"UPDATE {table} SET {masked} = masks.value FROM unnest(%s::bigint[], %s::text[]) AS masks(id, value) "
                f"WHERE {table}.id = masks.id",
                [[row_id for row_id, _value in rows], [mask(decrypt(value)) for _row_id, value in rows]],
            )


def fill_missing_masks(apps, schema_editor):
    connection = schema_editor.connection
    _fill_missing(connection, apps.get_model("members", "User")._meta.db_table, "phone", "phone_masked", mask_phone)
    _fill_missing(connection, apps.get_model("members", "Member")._meta.db_table, "id_number", "id_number_masked",
                  mask_id_number)


class Migration(migrations.Migration):
    """The demo's crowd of members was written with bulk_create, which calls no save(), so their
    users' masked phones stayed empty. Member exports read the masked copies alone: fill them."""

    dependencies = [
        ("members", "0010_member_exports"),
    ]

    operations = [
        migrations.RunPython(fill_missing_masks, migrations.RunPython.noop),
    ]
