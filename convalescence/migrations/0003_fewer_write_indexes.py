"""Indexes that every saved row wrote to and no query needed (see core.migration_operations).

Each foreign key below is found by another index that leads with the same column.
"""

import django.db.models.deletion
from django.db import migrations, models

from unionportal.core.migration_operations import ForeignKeyIndexDropped


class Migration(migrations.Migration):

    dependencies = [
        ('convalescence', '0002_session_verbose_names'),
        ('members', '0006_fewer_write_indexes'),
    ]

    operations = [
        ForeignKeyIndexDropped(
            model_name='nomination',
            name='member',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='convalescence_nominations', to='members.member', verbose_name='member'),
        ),
        ForeignKeyIndexDropped(
            model_name='nomination',
            name='session',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='nominations', to='convalescence.session', verbose_name='convalescence session'),
        ),
        ForeignKeyIndexDropped(
            model_name='seatquota',
            name='session',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='quotas', to='convalescence.session', verbose_name='convalescence session'),
        ),
        ForeignKeyIndexDropped(
            model_name='session',
            name='organising_union',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='convalescence_sessions', to='members.organization', verbose_name='organising union'),
        ),
        ForeignKeyIndexDropped(
            model_name='settlementline',
            name='settlement',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='convalescence.settlement', verbose_name='settlement'),
        ),
    ]
