# Lists of claims, enrolments, years and nominations are scoped through their member's union:
# an index that answers it without reading the member table's rows.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking out writes: members join and change unions meanwhile.
    atomic = False

    dependencies = [
        ('members', '0004_masked_phone_and_id_number'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='member',
            index=models.Index(fields=['id'], include=['organization'], name='member_scope_cover_idx'),
        ),
    ]
