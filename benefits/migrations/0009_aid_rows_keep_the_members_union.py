import django.db.models.deletion
from django.db import migrations, models

from members.union_follows_member import follow_member_union


def _union(null: bool):
    return models.ForeignKey(
        default=None, editable=False, null=null, on_delete=django.db.models.deletion.PROTECT, related_name="+",
        to="members.organization", verbose_name="union",
    )


class Migration(migrations.Migration):
    """Enrolments, claims and aid years keep their member's union (members.union_follows_member)."""

    dependencies = [
        ("benefits", "0008_fewer_write_indexes"),
        ("members", "0008_member_in_union_key"),
    ]

    operations = [
        operation
        for model, table in [("aidenrolment", "benefits_aidenrolment"), ("aidclaim", "benefits_aidclaim"),
                             ("memberaidyear", "benefits_memberaidyear")]
        for operation in [
            migrations.AddField(model_name=model, name="organization", field=_union(null=True)),
            *follow_member_union(table),
            migrations.AlterField(model_name=model, name="organization", field=_union(null=False)),
        ]
    ]
