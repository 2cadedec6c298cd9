from django.db import migrations, models

from members.union_follows_member import CREATE_FUNCTION


class Migration(migrations.Migration):
    """The member's (id, union) becomes a key that their enrolments, claims, aid years and
    nominations refer to; it replaces the covering index that answered the same lookup."""

    dependencies = [
        ("members", "0007_organization_depth_path_index"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="member",
            constraint=models.UniqueConstraint(fields=("id", "organization"), name="member_in_union_key"),
        ),
        migrations.RemoveIndex(model_name="member", name="member_scope_cover_idx"),
        CREATE_FUNCTION,
    ]
