"""WSGI entry point, e.g. ``gunicorn example_site.wsgi`` from example_site/."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings")

application = get_wsgi_application()
