"""Indexes that every saved row wrote to and no query needed (see core.migration_operations).

Each foreign key below is found by another index that leads with the same column. The union
path's prefix index duplicated the `_like` index Django makes for the unique path.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from unionportal.core.migration_operations import ForeignKeyIndexDropped


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0005_member_scope_cover_index'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='organization',
            name='org_path_prefix_idx',
        ),
        ForeignKeyIndexDropped(
            model_name='consent',
            name='user',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='consents', to=settings.AUTH_USER_MODEL, verbose_name='user'),
        ),
        ForeignKeyIndexDropped(
            model_name='member',
            name='organization',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='members', to='members.organization', verbose_name='grassroots union'),
        ),
    ]
