"""Data: the card-number sequence, the picker's search names, and consent version 1."""

from django.db import migrations

CONSENT_TEXT = (
    "为办理入会、会籍管理和会员服务，工会需要处理您的姓名、居民身份证号码、手机号码及所在单位等个人信息，"
    "其中身份证号码属于敏感个人信息。我们仅在实现上述目的所必需的范围内处理这些信息："
    "身份证号码和手机号码加密存储，在页面和导出文件中以掩码显示；只有经授权的工会工作人员"
    "可以查看完整号码，每次查看都会留下记录。您可以随时查看、导出您的个人信息，更正手机号码，"
    "或申请退会并删除个人信息。不同意本授权将无法在线办理入会。"
)


def _tokens(names):
    tokens = set()
    for name in names:
        text = (name or "").lower()
        tokens.update(text)
        tokens.update(text[index:index + 2] for index in range(len(text) - 1))
    return sorted(token for token in tokens if token.strip() == token and token)


def fill_search_names(apps, schema_editor):
    Organization = apps.get_model("members", "Organization")
    names = {}
    batch = []
    for node in Organization.objects.order_by("path").iterator(chunk_size=2000):
        ancestors = [names[node.path[:end]] for end in range(4, len(node.path), 4) if node.path[:end] in names]
        names[node.path] = node.name
        node.ancestor_names = ancestors
        node.search_tokens = _tokens([*ancestors, node.name])
        batch.append(node)
        if len(batch) >= 2000:
            Organization.objects.bulk_update(batch, ["ancestor_names", "search_tokens"])
            batch = []
    Organization.objects.bulk_update(batch, ["ancestor_names", "search_tokens"])


def consent_v1(apps, schema_editor):
    ConsentVersion = apps.get_model("members", "ConsentVersion")
    ConsentVersion.objects.get_or_create(
        version="2026-01", defaults={"title": "敏感个人信息处理授权书", "text": CONSENT_TEXT},
    )


def consent_v1_remove(apps, schema_editor):
    apps.get_model("members", "ConsentVersion").objects.filter(version="2026-01", consents__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0002_member_history_consent_search")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS members_card_number_seq START 100000000",
            "DROP SEQUENCE IF EXISTS members_card_number_seq",
        ),
        migrations.RunPython(fill_search_names, migrations.RunPython.noop),
        migrations.RunPython(consent_v1, consent_v1_remove),
    ]
