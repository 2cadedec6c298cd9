"""The member change list at city scale: what SQL it runs (no timings here; see bench/)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import id_number_hash, phone_hash
from tests.factories import make_member, make_staff, make_tree, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    tree = make_tree()
    members = [make_member(tree["enterprise_a" if n % 2 else "enterprise_b"]) for n in range(6)]
    return {"tree": tree, "members": members}


def change_list(client, user, query=""):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/members/member/", {"q": query} if query else {}, secure=True)
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries]


def member_counts(sqls):
    return [sql for sql in sqls if "count(" in sql.lower() and '"members_member"' in sql]


@pytest.mark.parametrize("who", ["superuser", "district_staff"])
def test_change_list_never_counts_the_whole_member_table(client, people, who):
    if who == "superuser":
        user = make_user(is_staff=True, is_superuser=True)
    else:
        user = make_staff(people["tree"]["district_a"])
    response, sqls = change_list(client, user)
    counts = member_counts(sqls)
    assert counts, "the change list counts (capped) how many rows it has"
    for sql in counts:
        # Either narrowed to the staff member's tree or stopped at the cap: never COUNT(*) of all.
        assert "LIMIT" in sql.upper(), sql
    if who == "district_staff":
        assert all('"members_organization"."path"' in sql for sql in counts)
    assert response.context["cl"].show_full_result_count is False


def test_exact_phone_search_uses_the_keyed_hash(client, people):
    wanted = people["members"][3]
    superuser = make_user(is_staff=True, is_superuser=True)
    response, sqls = change_list(client, superuser, wanted.user.phone)
    assert [m.pk for m in response.context["cl"].result_list] == [wanted.pk]
    hashed = phone_hash(wanted.user.phone)
    lookup = [sql for sql in sqls if '"members_user"."phone_hash" = ' in sql and hashed in sql]
    assert lookup, "the phone is found through its keyed hash"
    member_selects = [sql for sql in sqls if sql.startswith('SELECT "members_member"."id"')]
    # The member query filters on its own indexed user_id, not an OR across the users table.
    assert member_selects and all(f'"members_member"."user_id" IN ({wanted.user_id})' in sql for sql in member_selects)
    assert not any('"members_user"."phone_hash" =' in sql for sql in member_selects)
    assert wanted.user.phone not in " ".join(sqls)  # the plain number never reaches the database


def test_exact_id_number_search_uses_the_keyed_hash_and_an_index(client, people):
    wanted = people["members"][2]
    superuser = make_user(is_staff=True, is_superuser=True)
    response, sqls = change_list(client, superuser, wanted.id_number)
    assert [m.pk for m in response.context["cl"].result_list] == [wanted.pk]
    hashed = id_number_hash(wanted.id_number)
    member_selects = [sql for sql in sqls if sql.startswith('SELECT "members_member"."id"')]
    assert member_selects and all(f'"members_member"."id_number_hash" = \'{hashed}\'' in sql for sql in member_selects)
    assert wanted.id_number not in " ".join(sqls)  # the plain ID number never reaches the database
    # With sequential scans priced out, the plan must still find an index for every branch.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + member_selects[-1])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on members_member" not in plan, plan


def test_the_union_filter_finds_a_unions_children_through_an_index(client, people):
    staff = make_staff(people["tree"]["district_a"])
    response, sqls = change_list(client, staff)
    children = [sql for sql in sqls if '"members_organization"."depth" = ' in sql]
    assert children, "the union filter lists the district's children"
    assert people["tree"]["street_a"].name in response.content.decode()
    # By depth and path together: by path alone, a city's children meant reading every union.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + children[-1])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "org_depth_path_idx" in plan, plan


def test_every_list_shows_fifty_rows_a_page(client, people):
    from django.contrib import admin

    from unionportal.core.services import audit_log

    ours = [model_admin for model_admin in admin.site._registry.values()
            if type(model_admin).__module__.split(".")[0] in {"members", "benefits", "stations", "convalescence",
                                                               "unionportal"}]
    assert len(ours) > 30
    longer = {type(model_admin).__name__ for model_admin in ours if model_admin.list_per_page != 50}
    assert not longer, longer
    member = people["members"][0]
    for _ in range(51):
        audit_log(actor=None, action="member_verified", obj=member, organization_path=member.organization.path,
                  changes={})
    client.force_login(make_user(is_staff=True, is_superuser=True))
    cl = client.get("/admin/core/auditlog/", secure=True).context_data["cl"]
    assert (len(cl.result_list), cl.paginator.num_pages) == (50, 2)
    assert len(client.get("/admin/core/auditlog/", {"p": 2}, secure=True).context_data["cl"].result_list) == 1


# Change lists over tables that grow with every claim, redemption, visit or message.
GROWING = ["benefits/coupon", "benefits/couponbatch", "benefits/redemption", "benefits/aidclaim", "benefits/aidenrolment",
           "core/auditlog", "core/notification", "stations/station", "stations/visit", "convalescence/nomination"]


@pytest.mark.parametrize("model", GROWING)
def test_growing_tables_are_counted_only_up_to_the_cap(client, people, model):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/admin/{model}/", secure=True).status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if q["sql"].lower().startswith("select count(*)")]
    assert counts and all("LIMIT" in sql for sql in counts), counts
    # Nor do their filters or date hierarchies read every row for their choices.
    distinct = [q["sql"] for q in queries.captured_queries if "SELECT DISTINCT" in q["sql"].upper()]
    assert not distinct, distinct
    # "Show counts" is not offered: it would count every filter option over the whole table.
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/admin/{model}/", {"_facets": "True"}, secure=True)
    assert page.status_code == 200
    assert not page.context_data["cl"].is_facets_optional and not page.context_data["cl"].add_facets
    assert not [q["sql"] for q in queries.captured_queries if ") FILTER (WHERE" in q["sql"]]


@pytest.mark.parametrize("model", ["benefits/aidenrolment", "benefits/aidclaim", "benefits/memberaidyear",
                                   "convalescence/nomination"])
def test_a_districts_list_of_members_rows_is_counted_without_reading_members(client, people, model):
    # The rows keep their member's union (members.union_follows_member): counting a district's
    # share no longer looks up each row's member, tens of thousands of lookups at city scale.
    client.force_login(make_staff(people["tree"]["district_a"]))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/admin/{model}/", secure=True).status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if q["sql"].lower().startswith("select count(*)")]
    assert counts and not [sql for sql in counts if '"members_member"' in sql], counts


def test_the_aid_report_counts_members_per_union_without_reading_them(client, people):
    from tests.benefits_aid.builders import make_plan

    plan = make_plan(people["tree"]["city"])
    client.force_login(make_user(is_staff=True, is_superuser=True))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/admin/benefits/aidplan/{plan.pk}/report/", secure=True).status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if 'FROM "members_member"' in q["sql"] and "COUNT(" in q["sql"]]
    # Grouped by union alone, which the (organization, status) index answers: joined to every
    # member's union and grouped by path, two million members took six times as long.
    assert counts and not [sql for sql in counts if "JOIN" in sql], counts


def test_no_back_office_form_lists_every_union(client, people):
    import re

    from django.contrib import admin
    from django.urls import reverse

    from members.models import Organization

    street = people["tree"]["street_a"]
    for n in range(60):  # more unions than any list of choices should hold
        Organization.objects.add_child(Organization.objects.get(pk=street.pk), dict(kind="enterprise", name=f"企业工会{n}"))
    client.force_login(make_user(is_staff=True, is_superuser=True))
    long_lists = []
    forms = [reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add") for model in admin.site._registry]
    forms += ["/admin/benefits/aidenrolment/bulk/", "/admin/members/member/import/", "/admin/stations/station/import/"]
    for path in forms:
        page = client.get(path, secure=True)
        if page.status_code != 200:
            continue
        for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page.content.decode(), re.S):
            if options.count("<option") > 60 and "企业工会59" in options:
                long_lists.append(f"{path} {name}")
    # A union is picked by typing its name (autocomplete): a city's thousands of unions as one
    # list had made a station's page 300 KB and most of a second to build.
    assert not long_lists, long_lists


def test_audit_and_message_filters_list_every_value_found_through_an_index(client, people):
    from unionportal.core.models import Notification
    from unionportal.core.services import audit_log

    member = people["members"][0]
    for action in ("member_verified", "member_left", "member_verified"):
        audit_log(actor=None, action=action, obj=member, organization_path=member.organization.path, changes={})
    for event in ("aid_enrolled", "session_reminder"):
        Notification.objects.create(user=member.user, event=event, body="…")
    client.force_login(make_user(is_staff=True, is_superuser=True))
    audit = client.get("/admin/core/auditlog/", secure=True).content.decode()
    assert "?action=member_left" in audit and "?action=member_verified" in audit
    listed = client.get("/admin/core/auditlog/", {"action": "member_left"}, secure=True).context_data["cl"].result_list
    assert [entry.action for entry in listed] == ["member_left"]
    messages = client.get("/admin/core/notification/", secure=True).content.decode()
    assert "?event=aid_enrolled" in messages and "?event=session_reminder" in messages
    with connection.cursor() as cursor:  # the values come from skipping through the index
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute('EXPLAIN SELECT "action" FROM "core_auditlog" WHERE "action" > %s ORDER BY "action" LIMIT 1', ["a"])
        assert "audit_action_idx" in "\n".join(row[0] for row in cursor.fetchall())


def test_visits_filter_by_date_without_a_hierarchy(client, people):
    from django.utils import timezone

    from stations.models import Visit
    from tests.stations.builders import make_station

    station = make_station(people["tree"]["district_a"])
    now = timezone.now()
    Visit.objects.create(station=station, source="qr", visited_at=now, visited_on=timezone.localdate(now))
    Visit.objects.create(station=station, source="qr", visited_at=now - timezone.timedelta(days=40),
                         visited_on=timezone.localdate(now) - timezone.timedelta(days=40))
    client.force_login(make_user(is_staff=True, is_superuser=True))
    page = client.get("/admin/stations/visit/", secure=True)
    assert "visited_on__gte" in page.content.decode()  # today, the past 7 days, this month, this year
    today = timezone.localdate()
    week = client.get("/admin/stations/visit/", {"visited_on__gte": str(today - timezone.timedelta(days=7)),
                                                 "visited_on__lt": str(today + timezone.timedelta(days=1))}, secure=True)
    assert len(week.context_data["cl"].result_list) == 1


def test_batch_list_counts_each_listed_batch_not_every_coupon(client, people):
    from benefits import coupon_services
    from tests.benefits_coupons.builders import make_batch, make_open_campaign

    tree = people["tree"]
    batch = make_batch(make_open_campaign(tree["city"]), quantity=10)
    batch = type(batch).objects.select_related("campaign__organization").get(pk=batch.pk)
    for member in people["members"][:3]:
        coupon_services.coupon_claim(member=member, batch=batch)
    client.force_login(make_user(is_staff=True, is_superuser=True))
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/admin/benefits/couponbatch/", secure=True)
    # Counted inside one subquery per batch, not by grouping the batches joined to all their coupons.
    assert not [q["sql"] for q in queries.captured_queries if 'GROUP BY "benefits_couponbatch"."id"' in q["sql"]]
    listed = page.context_data["cl"].result_list
    assert [(b.claimed, b.redeemed_count, b.expired_count) for b in listed] == [(3, 0, 0)]


def test_audit_log_list_takes_the_same_queries_for_ten_rows_as_for_one(client, people):
    from unionportal.core.services import audit_log

    admin_user = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin_user)

    def queries_for_list():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/core/auditlog/", secure=True).status_code == 200
        return len(queries.captured_queries)

    member = people["members"][0]
    audit_log(actor=admin_user, action="bench_check", obj=member, organization_path=member.organization.path, changes={})
    one = queries_for_list()
    for _ in range(9):
        audit_log(actor=make_user(), action="bench_check", obj=member, organization_path=member.organization.path,
                  changes={})
    assert queries_for_list() == one


def test_a_count_stopped_at_its_cap_reads_as_at_least(client, people, monkeypatch):
    from members.admin_scoping import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "CAP", 4)
    superuser = make_user(is_staff=True, is_superuser=True)
    response, _sqls = change_list(client, superuser)
    cl = response.context["cl"]
    assert cl.result_count == 4 and str(cl.result_count) == "4+"  # six members, counted to four
    page = response.content.decode()
    assert "4+ 会员" in page  # the paginator's line
    assert "选中所有的 4+ 个 会员" in page  # "Select all": not a number the action would not keep to
    monkeypatch.setattr(CappedCountPaginator, "CAP", 100)
    response, _sqls = change_list(client, superuser)
    assert str(response.context["cl"].result_count) == "6"  # under the cap: the exact count
