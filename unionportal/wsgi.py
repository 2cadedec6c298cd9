import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionportal.settings")
django.setup(set_prefix=False)  # as django.core.wsgi.get_wsgi_application

from unionportal.core.handler import PortalWSGIHandler  # noqa: E402  (needs the apps loaded)

application = PortalWSGIHandler()
