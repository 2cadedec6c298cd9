"""The `LIKE` indexes beside the keyed hashes of phones and ID numbers (see
core.migration_operations): 238 MB each at two million members, written by every registration."""

from django.db import migrations

from unionportal.core.migration_operations import PatternIndexDropped


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0008_member_in_union_key"),
    ]

    operations = [
        PatternIndexDropped(model_name="user", name="phone_hash"),
        PatternIndexDropped(model_name="member", name="id_number_hash"),
    ]
