"""Everything the portal logs during a test session, kept in files so it can be checked.

The test process's own logs (views, services, the live server's request threads, Django's
request and security warnings, the SMS backend) go to `app.log`; each real Celery worker or
server a test starts writes its output to a file of its own beside it. At the end of the
session `findings()` reads them all for clear ID and mobile numbers.
"""

import logging
import os
import shutil
from pathlib import Path

from django.conf import settings

from .personal_data import Finding, masked_line, personal_numbers_in

# A run of pytest inside the suite (which proves that a leak fails the run) keeps its logs apart.
LOG_DIR = Path(os.environ.get("UNIONPORTAL_TEST_LOG_DIR") or Path(settings.BASE_DIR) / "test-artifacts" / "logs")
APP_LOG = LOG_DIR / "app.log"
# Loggers that log personal flows: ours at DEBUG, the frameworks' at INFO.
VERBOSE_LOGGERS = {
    "unionportal": logging.DEBUG, "members": logging.DEBUG, "stations": logging.DEBUG, "benefits": logging.DEBUG,
    "convalescence": logging.DEBUG, "django": logging.INFO, "celery": logging.INFO, "kombu": logging.INFO,
}

_handler: logging.Handler | None = None


def start() -> None:
    """Start a fresh set of log files and send every log record of this process to `app.log`."""
    global _handler
    shutil.rmtree(LOG_DIR, ignore_errors=True)
    LOG_DIR.mkdir(parents=True)
    _handler = logging.FileHandler(APP_LOG, encoding="utf-8")
    _handler.setLevel(logging.DEBUG)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(threadName)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(_handler)
    root.setLevel(min(root.level, logging.INFO))
    for name, level in VERBOSE_LOGGERS.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level > level:
            logger.setLevel(level)


def shown_name() -> str:
    """The log directory as a report names it: relative to the project when it lies inside."""
    try:
        return str(LOG_DIR.relative_to(settings.BASE_DIR))
    except ValueError:
        return str(LOG_DIR)


def is_capturing() -> bool:
    """False when something reconfigured logging and dropped the handler mid-session."""
    return _handler is not None and _handler in logging.getLogger().handlers


def app_log_size() -> int:
    """Where `app.log` ends now: a test reads what it logged itself with `app_log_since`."""
    if _handler is not None:
        _handler.flush()
    return APP_LOG.stat().st_size if APP_LOG.exists() else 0


def app_log_since(offset: int) -> str:
    if _handler is not None:
        _handler.flush()
    with open(APP_LOG, "rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", errors="replace")


def process_log_path(name: str) -> Path:
    safe = "".join(char if char.isalnum() or char in "-_." else "-" for char in name)
    return LOG_DIR / f"{safe}.log"


def process_log(name: str):
    """A file for a child process's stdout and stderr (pass it to Popen, then close it)."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    return open(process_log_path(name), "ab")


def findings(directory: Path = LOG_DIR) -> list[tuple[str, int, str]]:
    """(file name, line number, the line with the numbers masked) for each offending line."""
    if _handler is not None:
        _handler.flush()
    offending = []
    for path in sorted(Path(directory).glob("*.log")):
        with open(path, encoding="utf-8", errors="replace") as log:
            for number, line in enumerate(log, start=1):
                found: list[Finding] = personal_numbers_in(line)
                if found:
                    offending.append((path.name, number, masked_line(line.rstrip("\n"), found)))
    return offending
