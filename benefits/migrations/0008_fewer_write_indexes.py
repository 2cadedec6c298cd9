"""Indexes that every saved row wrote to and no query needed (see core.migration_operations).

Each foreign key below is found by another index that leads with the same column. The coupon
code keeps its unique constraint and loses Django's `_like` index (LIKE searches: none are
made on codes); the constraint is renamed in place, not built again.
"""

import django.db.models.deletion
from django.db import migrations, models

from unionportal.core.migration_operations import ForeignKeyIndexDropped


class Migration(migrations.Migration):

    dependencies = [
        ('benefits', '0007_queue_and_filter_indexes'),
        ('members', '0006_fewer_write_indexes'),
    ]

    operations = [
        ForeignKeyIndexDropped(
            model_name='aidclaim',
            name='member',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='aid_claims', to='members.member', verbose_name='member'),
        ),
        ForeignKeyIndexDropped(
            model_name='aidclaim',
            name='plan',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='claims', to='benefits.aidplan', verbose_name='plan'),
        ),
        ForeignKeyIndexDropped(
            model_name='aidclaiminvoice',
            name='plan',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='benefits.aidplan', verbose_name='plan'),
        ),
        ForeignKeyIndexDropped(
            model_name='aidenrolment',
            name='member',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='aid_enrolments', to='members.member', verbose_name='member'),
        ),
        ForeignKeyIndexDropped(
            model_name='aidenrolment',
            name='plan',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='enrolments', to='benefits.aidplan', verbose_name='plan'),
        ),
        ForeignKeyIndexDropped(
            model_name='aidplan',
            name='organization',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='aid_plans', to='members.organization', verbose_name='run by'),
        ),
        ForeignKeyIndexDropped(
            model_name='coupon',
            name='batch',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='coupons', to='benefits.couponbatch', verbose_name='batch'),
        ),
        ForeignKeyIndexDropped(
            model_name='coupon',
            name='member',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='coupons', to='members.member', verbose_name='member'),
        ),
        ForeignKeyIndexDropped(
            model_name='coupon',
            name='redeemed_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='redeemed_coupons', to='benefits.merchant', verbose_name='used at merchant'),
        ),
        ForeignKeyIndexDropped(
            model_name='couponclaimcount',
            name='batch',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='benefits.couponbatch'),
        ),
        ForeignKeyIndexDropped(
            model_name='lotteryapplication',
            name='batch',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='applications', to='benefits.couponbatch', verbose_name='batch'),
        ),
        ForeignKeyIndexDropped(
            model_name='memberaidyear',
            name='member',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='aid_years', to='members.member', verbose_name='member'),
        ),
        ForeignKeyIndexDropped(
            model_name='redemption',
            name='merchant',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='redemptions', to='benefits.merchant', verbose_name='merchant'),
        ),
        migrations.AddIndex(
            model_name='coupon',
            index=models.Index(condition=models.Q(('redeemed_by__isnull', False)), fields=['redeemed_by'], name='coupon_redeemed_by_idx'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='coupon',
                    name='code',
                    field=models.CharField(max_length=24, verbose_name='coupon code'),
                ),
                migrations.AddConstraint(
                    model_name='coupon',
                    constraint=models.UniqueConstraint(fields=('code',), name='coupon_code_unique'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'ALTER TABLE "benefits_coupon" RENAME CONSTRAINT "benefits_coupon_code_key" TO "coupon_code_unique";'
                    ' DROP INDEX IF EXISTS "benefits_coupon_code_0cb2f13a_like"',
                    reverse_sql='ALTER TABLE "benefits_coupon" RENAME CONSTRAINT "coupon_code_unique" TO "benefits_coupon_code_key";'
                    ' CREATE INDEX IF NOT EXISTS "benefits_coupon_code_0cb2f13a_like" ON "benefits_coupon"'
                    ' ("code" varchar_pattern_ops)',
                ),
            ],
        ),
    ]
