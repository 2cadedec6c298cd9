"""The gunicorn settings' master hook (unionportal/gunicorn.conf.py), run as gunicorn runs it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In a process of its own: the hook freezes the garbage collector, which a test run must not.
HOOK = """
import runpy, sys
import unionportal.wsgi  # preload_app: the application is imported first
from django.db import connections
assert "benefits.coupon_api" not in sys.modules, "the URL configuration was already loaded"
runpy.run_path("unionportal/gunicorn.conf.py")["when_ready"](None)
print("benefits.coupon_api" in sys.modules, "stations.api" in sys.modules,
      any(c.connection is not None for c in connections.all()))
"""


def test_the_master_loads_every_view_before_forking_and_holds_no_connection():
    done = subprocess.run([sys.executable, "-c", HOOK], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True", "False"]
