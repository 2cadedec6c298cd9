import django.db.models.deletion
from django.db import migrations, models

from members.union_follows_member import follow_member_union


def _union(null: bool):
    return models.ForeignKey(
        default=None, editable=False, null=null, on_delete=django.db.models.deletion.PROTECT, related_name="+",
        to="members.organization", verbose_name="union",
    )


class Migration(migrations.Migration):
    """Nominations keep their member's union (members.union_follows_member)."""

    dependencies = [
        ("convalescence", "0003_fewer_write_indexes"),
        ("members", "0008_member_in_union_key"),
    ]

    operations = [
        migrations.AddField(model_name="nomination", name="organization", field=_union(null=True)),
        *follow_member_union("convalescence_nomination"),
        migrations.AlterField(model_name="nomination", name="organization", field=_union(null=False)),
    ]
