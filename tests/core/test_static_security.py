import subprocess
import sys

from django.conf import settings

PROJECT_CODE = ["unionportal", "members", "stations", "benefits", "convalescence", "bench"]


def test_bandit_finds_no_high_severity_issue():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", *PROJECT_CODE, "-lll", "-x", "*/migrations/*"],
        cwd=settings.BASE_DIR, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
