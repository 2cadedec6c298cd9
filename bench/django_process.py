"""A bench command's Django: set up as the server's is, and frozen as its workers are."""

import gc
import os
import sys
from importlib import import_module
from pathlib import Path

import django


def setup_django() -> None:
    """Django for a bench command, run as a module or as a script from anywhere."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionportal.settings")
    django.setup()


def freeze_like_the_server() -> None:
    """What gunicorn's master does before it forks its workers (unionportal/gunicorn.conf.py):
    import the URL configuration, then move everything alive out of the garbage collector's
    reach. Timings and counts taken next are then not moved by a full collection walking the
    whole import graph (it moved an instruction count by a fifth)."""
    from django.conf import settings

    import_module(settings.ROOT_URLCONF)
    gc.collect()
    gc.freeze()
