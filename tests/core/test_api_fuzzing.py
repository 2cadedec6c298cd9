"""API fuzzing: schemathesis over every operation of /api/schema/ against the running test
server, as a member, a staff member and a partner, with a fixed seed. No generated request
may get a server error."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from unionportal.core.services import api_key_issue, api_token_issue

from ..factories import make_member, make_staff, make_tree
from ..members.builders import consent_published

SCHEMATHESIS = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")


@pytest.fixture
def credentials(transactional_db):
    consent_published()  # as the migration publishes it; transactional tests empty the tables
    tree = make_tree()
    member_token, _ = api_token_issue(user=make_member(tree["enterprise_a"]).user, lifetime=settings.API_TOKEN_LIFETIME)
    staff_token, _ = api_token_issue(user=make_staff(tree["district_a"]), lifetime=settings.API_TOKEN_LIFETIME)
    partner_key, _ = api_key_issue(
        name="fuzz", scopes=["stations:read", "health:write", "coupons:redeem", "members:verify"],
    )
    return {"member": f"Bearer {member_token}", "staff": f"Bearer {staff_token}", "partner": f"Api-Key {partner_key}"}


@pytest.mark.parametrize("role", ["member", "staff", "partner"])
def test_no_operation_answers_with_a_server_error(live_server, credentials, role, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        name: "100000/min" for name in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}}
    result = subprocess.run(
        [SCHEMATHESIS, "run", f"{live_server.url}/api/schema/", "--checks", "not_a_server_error",
         "--header", f"Authorization: {credentials[role]}", "--max-examples", "4", "--seed", "2026",
         "--phases", "examples,fuzzing", "--no-color"],
        capture_output=True, text=True, timeout=600,
    )
    summary = [line for line in result.stdout.splitlines() if "generated" in line]
    assert result.returncode == 0, result.stdout[-4000:]
    assert summary and "passed" in summary[-1]  # cases really ran
