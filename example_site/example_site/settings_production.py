"""Production settings: the example site behind HTTPS.

    SECRET_KEY=… BASE_URL=https://share.example.com ALLOWED_HOSTS=share.example.com \\
        DJANGO_SETTINGS_MODULE=example_site.settings_production gunicorn example_site.wsgi

``manage.py check --deploy --settings=example_site.settings_production`` is clean
once SECRET_KEY is a long random value.
"""

import os

os.environ.setdefault("DEBUG", "false")

from .settings import *  # noqa: F403
from .settings import env_bool, env_list

if DEBUG:  # noqa: F405
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("settings_production must not run with DEBUG on.")

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto. Only enable this
# when the proxy strips that header from client requests.
if env_bool("BEHIND_PROXY", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The proxy whose X-Forwarded-For the rate limits believe: deploy/nginx/securelink.conf
    # runs on the same host and connects from 127.0.0.1. nginx on its own host:
    # TRUSTED_PROXIES=<its private address>, and the same in gunicorn's
    # --forwarded-allow-ips. Left out, every visitor would count as the proxy.
    WAGTAIL_SECURELINK_TRUSTED_PROXIES = env_list(
        "TRUSTED_PROXIES", ["127.0.0.1", "::1"]
    )

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365))
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# The preload directive alone commits to nothing: a site joins browsers'
# preload lists only when submitted at hstspreload.org.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
