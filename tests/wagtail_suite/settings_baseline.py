"""Wagtail's own test settings, with a fresh MEDIA_ROOT for each run.

``wagtail.test.settings`` writes uploads into ``wagtail/tests/test-media`` inside
the installed package, and some tests (``test_reupload_different_name``) fail
on the second run because the first one left files behind. A temporary
directory per run keeps runs repeatable and site-packages clean. This is the
*baseline*: no wagtail_securelink (``make test-wagtail-baseline``).
"""

import atexit
import shutil
import tempfile

from wagtail.test.settings import *  # noqa: F403

MEDIA_ROOT = tempfile.mkdtemp(prefix="wagtail-suite-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
