"""The example site as ``benchmarks/loadtest.py`` runs it: the scale-out shape, with the
per-network rate limits raised.

Every simulated visitor comes from 127.0.0.1, one client network, so the defaults
(10 code sends an hour per network, S5) would stop the load test after ten visitors.
Here the limits stay on, and counted in Redis, but far above what a minute of load
reaches: the cost of counting is measured, the limit itself is not. Nothing here is
a setting to copy into a real site.
"""

from example_site.settings import *  # noqa: F403

WAGTAIL_SECURELINK_RATE_SEND_PER_NETWORK = "1000000/h"
WAGTAIL_SECURELINK_RATE_SEND_PER_LINK = "1000000/h"
WAGTAIL_SECURELINK_RATE_CHECK_PER_NETWORK = "1000000/h"
WAGTAIL_SECURELINK_RATE_CHECK_PER_LINK = "1000000/h"
WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK = "1000000/h"
