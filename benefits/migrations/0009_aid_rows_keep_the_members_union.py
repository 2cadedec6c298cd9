from django.db import migrations

from members.union_follows_member import follow_member_union


class Migration(migrations.Migration):
    """Enrolments, claims and aid years keep their member's union (members.union_follows_member)."""

    dependencies = [
        ("benefits", "0008_fewer_write_indexes"),
        ("members", "0008_member_in_union_key"),
    ]

    operations = [
        *follow_member_union("aidenrolment", "benefits_aidenrolment"),
        *follow_member_union("aidclaim", "benefits_aidclaim"),
        *follow_member_union("memberaidyear", "benefits_memberaidyear"),
    ]
