"""Indexes that every saved row wrote to and no query needed (see core.migration_operations).

Each foreign key below is found by another index that leads with the same column. The stations'
union index duplicated the foreign key's own.
"""

import django.db.models.deletion
from django.db import migrations, models

from unionportal.core.migration_operations import ForeignKeyIndexDropped


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0006_fewer_write_indexes'),
        ('stations', '0004_station_plain_location_index'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='station',
            name='station_org_idx',
        ),
        ForeignKeyIndexDropped(
            model_name='healthreading',
            name='member',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='health_readings', to='members.member', verbose_name='member'),
        ),
        ForeignKeyIndexDropped(
            model_name='openingexception',
            name='station',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='opening_exceptions', to='stations.station', verbose_name='station'),
        ),
        ForeignKeyIndexDropped(
            model_name='rating',
            name='station',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='ratings', to='stations.station', verbose_name='station'),
        ),
        ForeignKeyIndexDropped(
            model_name='servicesession',
            name='station',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='sessions', to='stations.station', verbose_name='station'),
        ),
        ForeignKeyIndexDropped(
            model_name='sessionbooking',
            name='member',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='session_bookings', to='members.member', verbose_name='member'),
        ),
        ForeignKeyIndexDropped(
            model_name='visit',
            name='station',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='visits', to='stations.station', verbose_name='station'),
        ),
    ]
