"""The portal's settings in a process of their own, read from an environment the test sets."""

import os
import socket
import subprocess
import sys

from django.conf import settings


def run_with_environment(script: str, *, unset=(), **variables) -> str:
    """Runs `script` with Python, the portal's settings module and these variables (and without
    those in `unset`); returns what it printed, and fails the test with its errors."""
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env.update(DJANGO_SETTINGS_MODULE="unionportal.settings", **variables)
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=settings.BASE_DIR,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def free_port() -> int:
    """A local TCP port nothing listens on (for a server to start on, or to find refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
