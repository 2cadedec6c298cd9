# The claims queue opens on the claims waiting for a decision, oldest first; the redemptions'
# answer-status filter finds its values through an index (core.admin_filters).

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking out writes: claims and redemptions go on meanwhile.
    atomic = False

    dependencies = [
        ('benefits', '0006_back_office_indexes'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='aidclaim',
            index=models.Index(
                condition=models.Q(('status__in', ['submitted', 'under_review', 'resubmitted'])),
                fields=['submitted_at', 'id'], name='aid_claim_waiting_idx',
            ),
        ),
        AddIndexConcurrently(
            model_name='redemption',
            index=models.Index(fields=['response_status', 'id'], name='redemption_status_idx'),
        ),
    ]
