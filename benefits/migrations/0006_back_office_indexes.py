# The back office at a city's volume: exact searches (invoice number, payment reference,
# Idempotency-Key) and the claims and enrolments lists read a page at a time in index order.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without locking out writes: claims, enrolments and redemptions go on meanwhile.
    atomic = False

    dependencies = [
        ('benefits', '0005_aid_claim_payee_account'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='aidclaiminvoice',
            index=models.Index(fields=['invoice_number'], name='aid_invoice_number_idx'),
        ),
        AddIndexConcurrently(
            model_name='aidenrolment',
            index=models.Index(fields=['payment_reference'], name='aid_enrolment_reference_idx'),
        ),
        AddIndexConcurrently(
            model_name='redemption',
            index=models.Index(fields=['idempotency_key'], name='redemption_key_idx'),
        ),
        AddIndexConcurrently(
            model_name='aidclaim',
            index=models.Index(fields=['submitted_at', 'id'], name='aid_claim_submitted_idx'),
        ),
        AddIndexConcurrently(
            model_name='aidenrolment',
            index=models.Index(fields=['enrolled_at', 'id'], name='aid_enrolment_listed_idx'),
        ),
    ]
