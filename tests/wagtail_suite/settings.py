"""Wagtail's own test settings, plus wagtail_securelink.

``make test-wagtail`` runs Wagtail's ``wagtail.documents`` tests with these
settings: installing our app must not change a single result of the host's
suite. ``make test-wagtail-baseline`` runs the same tests with
``settings_baseline`` (identical but for our app); the numbers are in
docs/dev/wagtail-suite-baseline.md.

Like wagtail.test.settings, the database comes from DATABASE_ENGINE,
DATABASE_NAME, DATABASE_USER, … (default: in-memory SQLite).
"""

from .settings_baseline import *  # noqa: F403
from .settings_baseline import INSTALLED_APPS, WAGTAILADMIN_BASE_URL

INSTALLED_APPS = list(INSTALLED_APPS)
if "wagtail.contrib.settings" not in INSTALLED_APPS:
    INSTALLED_APPS.append("wagtail.contrib.settings")
# Right after wagtail.documents, as the installation guide says.
INSTALLED_APPS.insert(
    INSTALLED_APPS.index("wagtail.documents") + 1, "wagtail_securelink"
)

# Wagtail's test URLs plus ours.
ROOT_URLCONF = "tests.wagtail_suite.urls"

WAGTAIL_SECURELINK_BASE_URL = WAGTAILADMIN_BASE_URL

# Wagtail's test settings use Django's database cache: "auto" passes it over and
# keeps the rate limits in our own table, so there is no check to silence.
