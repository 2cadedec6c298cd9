"""gunicorn settings for production (and for `make run` and the benchmarks).

Threads keep a worker busy while others wait on PostgreSQL; a long listen backlog lets a
claim rush queue up instead of being refused at the socket.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
backlog = int(os.environ.get("GUNICORN_BACKLOG", "8192"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
keepalive = 5
# Workers are recycled now and then (a guard against slow leaks). The app is imported once in
# the master and forked, so a recycled worker starts in milliseconds instead of re-importing
# Django, which on a small machine under load costs seconds of CPU every time.
preload_app = True
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# Request lines and referers with ID and mobile numbers masked (members are searched by them).
logger_class = "unionportal.access_log.MaskingLogger"
# gunicorn's control socket lives in the user's home and is shared by every gunicorn of that
# user (the portal, the benchmarks, tests): none of them uses it.
control_socket_disable = True


def when_ready(server):
    """In the master, after the app is imported and before the workers are forked.

    Import the URL configuration, and with it every view module: Django does so on a process's
    first request, which made every new worker's first answer (a start, or a recycling after
    max_requests) a third of a second slower. Then move every object alive now out of the
    garbage collector's reach. A full collection in a worker then scans only what that worker
    made, instead of pausing a request for a tenth of a second to walk Django's whole import
    graph (and the workers keep sharing those pages with the master)."""
    from importlib import import_module

    from django.conf import settings
    from django.db import connections

    import_module(settings.ROOT_URLCONF)  # its include()s import the apps' URLs and views
    connections.close_all()  # should an import have connected, no worker inherits its socket
    gc.collect()
    gc.freeze()
