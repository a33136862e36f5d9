"""The WSGI application: Django, with kept public pages answered in front of it."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tipline.settings")
django_application = get_wsgi_application()

from tipline.publishing.fast_path import PublicFastPath  # noqa: E402 - needs the settings configured above

application = PublicFastPath(django_application)
