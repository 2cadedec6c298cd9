# The audit log's action filter and the text messages' event filter: their values found by
# skipping through an index (core.admin_filters), their pages read in its order.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking out writes: every state change writes an audit row.
    atomic = False

    dependencies = [
        ('core', '0002_initial'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='auditlog',
            index=models.Index(fields=['action', 'id'], name='audit_action_idx'),
        ),
        AddIndexConcurrently(
            model_name='notification',
            index=models.Index(fields=['event', 'id'], name='notification_event_idx'),
        ),
    ]
