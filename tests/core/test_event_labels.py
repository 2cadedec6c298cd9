"""The audit log's actions and the text messages' events are shown by name, in Chinese first."""

import re
from pathlib import Path

import pytest

from tests.factories import make_member, make_tree, make_user
from unionportal.core.event_labels import AUDIT_ACTIONS, NOTIFICATION_EVENTS
from unionportal.core.models import Notification
from unionportal.core.services import audit_log

ROOT = Path(__file__).resolve().parents[2]
APPS = ("members", "stations", "benefits", "convalescence", "unionportal")


def written_names() -> tuple[set, set]:
    """The actions and events the portal's code writes, read from its source."""
    actions, events = set(), set()
    for path in (path for app in APPS for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts):
        text = path.read_text()
        actions |= set(re.findall(r'\baction="([a-z_.]+)"', text))
        actions |= set(re.findall(r'\bif change else "([a-z_.]+)"', text))
        # a redemption writes its audit row in SQL (benefits.coupon_services)
        actions |= set(re.findall(r"SELECT NULL, '([a-z_.]+)', %\(content_type\)s", text))
        # convalescence.services._audit(actor, "<name>", …) writes "convalescence.<name>"
        actions |= {f"convalescence.{name}" for name in re.findall(r'\b_audit\(\w+, "([a-z_.]+)"', text)}
        actions |= {f"convalescence.{name}" for name in re.findall(r'\b_audit\(\w+, "[a-z_.]+" if \w+ else "([a-z_.]+)"', text)}
        events |= set(re.findall(r'\bevent="([a-z_.]+)"', text))
        events |= set(re.findall(r'notify\(\w+, "([a-z_.]+)"', text))
    actions.discard("change")  # convalescence.services._require_staff's permission verb, not an audit action
    return actions, events


def test_every_action_and_event_the_code_writes_has_a_label():
    actions, events = written_names()
    # the scan still finds what it looks for
    assert len(actions) > 50 and "coupon_redeemed" in actions and len(events) > 25
    assert actions - set(AUDIT_ACTIONS) == set()
    assert events - set(NOTIFICATION_EVENTS) == set()


@pytest.mark.django_db
def test_the_back_office_lists_show_labels_in_chinese_and_english(client):
    member = make_member(make_tree()["enterprise_a"])
    audit_log(actor=None, action="member_verified", obj=member, organization_path=member.organization.path)
    audit_log(actor=None, action="something_new", obj=member, organization_path=member.organization.path)
    Notification.objects.create(user=member.user, event="aid_claim_approved", body="…")
    client.force_login(make_user(is_staff=True, is_superuser=True))
    audit = client.get("/admin/core/auditlog/", secure=True).content.decode()
    assert audit.count("会员资格审核通过") >= 2  # the row and the filter
    assert "something_new" in audit  # a name without a label shows as itself
    assert "对象类型" in audit and "?action=member_verified" in audit
    assert "core/event_labels.css" in audit  # a label stays on one line on a phone
    messages = client.get("/admin/core/notification/", secure=True).content.decode()
    assert messages.count("申请已核准") >= 2 and "?event=aid_claim_approved" in messages
    client.cookies["django_language"] = "en"
    audit = client.get("/admin/core/auditlog/", secure=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Membership verified" in audit and "Object type" in audit.replace("OBJECT TYPE", "Object type")
