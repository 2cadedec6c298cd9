"""The `LIKE` index beside the bearer tokens' hashes (see core.migration_operations), written by
every sign-in."""

from django.db import migrations

from unionportal.core.migration_operations import PatternIndexDropped


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0005_fewer_write_indexes"),
    ]

    operations = [
        PatternIndexDropped(model_name="apitoken", name="token_hash"),
    ]
