from django.core.management.base import BaseCommand
from django.db import transaction

from members.models import Member, RosterImport, User
from unionportal.core.pii import rotate

# Every encrypted column: (model, field). Rows are rewritten in batches with raw values, so
# nothing is decrypted into memory longer than needed and no model logic runs.
ENCRYPTED_COLUMNS = [(User, "phone"), (Member, "id_number"), (RosterImport, "rows")]
BATCH = 1000


class Command(BaseCommand):
    help = "Re-encrypt phones and ID numbers with the newest key of PII_ENCRYPTION_KEYS (run after adding a key)."

    def handle(self, *args, **options):
        for model, field in ENCRYPTED_COLUMNS:
            table, column = model._meta.db_table, model._meta.get_field(field).column
            done, last = 0, 0
            while True:
                with transaction.atomic():
                    rows = list(
                        model.objects.filter(pk__gt=last).exclude(**{field: ""}).order_by("pk")
                        .values_list("pk", flat=True)[:BATCH]
                    )
                    if not rows:
                        break
                    from django.db import connection

                    with connection.cursor() as cursor:
                        cursor.execute(
                            f'SELECT id, "{column}" FROM "{table}" WHERE id = ANY(%s) FOR UPDATE', [rows],
                        )
                        fresh = [(rotate(value), pk) for pk, value in cursor.fetchall() if value]
                        cursor.executemany(f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s', fresh)
                    done += len(fresh)
                    last = rows[-1]
            self.stdout.write(f"{model._meta.label}.{field}: {done} values re-encrypted")
