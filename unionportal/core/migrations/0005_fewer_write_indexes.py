"""Indexes that every saved row wrote to and no query needed (see core.migration_operations).

Each foreign key below is found by another index that leads with the same column.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from unionportal.core.migration_operations import ForeignKeyIndexDropped


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('core', '0004_audit_object_labels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        ForeignKeyIndexDropped(
            model_name='auditlog',
            name='content_type',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, to='contenttypes.contenttype', verbose_name='object type'),
        ),
        ForeignKeyIndexDropped(
            model_name='notification',
            name='user',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='recipient'),
        ),
    ]
