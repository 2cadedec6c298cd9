from django.db import migrations

from members.union_follows_member import follow_member_union


class Migration(migrations.Migration):
    """Nominations keep their member's union (members.union_follows_member)."""

    dependencies = [
        ("convalescence", "0003_fewer_write_indexes"),
        ("members", "0008_member_in_union_key"),
    ]

    operations = follow_member_union("nomination", "convalescence_nomination")
