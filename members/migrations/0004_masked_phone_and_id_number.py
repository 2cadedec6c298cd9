from django.db import migrations, models

from unionportal.core.pii import decrypt, mask_id_number, mask_phone

CHUNK = 5000


def _fill(connection, table: str, column: str, masked: str, mask) -> None:
    """Store the mask of every row's encrypted `column`, a chunk of rows at a time by id."""
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, {column} FROM {table} WHERE id > %s AND {column} <> '' ORDER BY id LIMIT %s",
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


def fill_masks(apps, schema_editor):
    connection = schema_editor.connection
    _fill(connection, apps.get_model("members", "User")._meta.db_table, "phone", "phone_masked", mask_phone)
    _fill(connection, apps.get_model("members", "Member")._meta.db_table, "id_number", "id_number_masked",
          mask_id_number)


class Migration(migrations.Migration):
    """The masked phone and ID number kept beside the ciphertext (what every screen shows), so
    that showing a member decrypts nothing. Existing rows are filled in chunks."""

    dependencies = [
        ("members", "0003_card_sequence_search_names_consent_v1"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="id_number_masked",
            field=models.CharField(blank=True, default="", editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="user",
            name="phone_masked",
            field=models.CharField(blank=True, default="", editable=False, max_length=32),
        ),
        migrations.RunPython(fill_masks, migrations.RunPython.noop),
    ]
