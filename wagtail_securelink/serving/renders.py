"""Pages rendered for visitors, within what one link, one client and the whole site
may cost.

A page that is not rendered yet is rendered in the visitor's request, by a child
process under the CPU, memory and wall-clock limits of ``viewer.rendering``. An
uploaded file is untrusted: a PDF of a few kB can keep the renderer busy up to its
time limit on every page, and a web worker waits for it all that time. So a render
may start only when:

- the link and the client network have not spent their render seconds for the
  window (``RENDER_SECONDS_PER_LINK`` / ``_PER_NETWORK``, counted by
  ``ratelimits.spend``; past them, ``Limited``: 429 until the window ends);
- fewer than ``RENDER_CONCURRENT_PER_LINK`` / ``_PER_NETWORK`` requests of that link
  and network, and fewer than ``RENDER_CONCURRENT_SITE`` requests on the whole site,
  are rendering or waiting for a render (leases in the shared store; past them,
  ``RenderBusy``: 503 at once). One visitor holds at most that many web workers,
  whatever number of requests it sends, and all visitors together hold at most the
  site's number: the other web workers stay free for pages already rendered, files
  and every other view, however many links and networks send slow files;
- no other request is rendering a page of the same file, else the request waits up to
  ``RENDER_WAIT_SECONDS`` for its page to appear (or for a failure the renderer
  remembers for the file), else ``RenderBusy``. One file, however many pages, links
  and visitors ask for it, keeps at most one worker busy.

A file that reached the limits is remembered as such by ``viewer.rendering`` (an
hour, per file and limits): its other pages are answered from that record without a
worker. Rendering stays on the request path, bounded as above, rather than in a
background queue of its own; the render's result is kept for every later request.
"""

import logging
import math
import time

from django.http import HttpRequest

from wagtail_securelink.conf import settings
from wagtail_securelink.core.clients import client_network
from wagtail_securelink.ratelimit import leases
from wagtail_securelink.ratelimit import rules as ratelimits
from wagtail_securelink.viewer import rendering

__all__ = ["RenderBusy", "get_page", "RETRY_AFTER"]

logger = logging.getLogger(__name__)

# What a visitor told "being prepared" is asked to wait: a normal page renders well
# within it, and the visitor's page reloads itself after it.
RETRY_AFTER = 5
POLL_SECONDS = 0.1
# A lease outlives the longest its holder can keep it (waiting, then rendering up to
# the worker's timeout) by this much: it is released well before it would expire.
LEASE_MARGIN = 10


class RenderBusy(Exception):
    """A page of the file is being rendered for another request, or this link, this
    client network or the site has as many renders in progress as it may: try again
    in ``retry_after`` seconds."""

    def __init__(self, retry_after: int = RETRY_AFTER):
        super().__init__(retry_after)
        self.retry_after = retry_after


def _wait_seconds() -> float:
    return min(10.0, max(0.0, float(settings.RENDER_WAIT_SECONDS or 0)))


def get_page(
    request: HttpRequest, link, document, number: int, zoom: int
) -> rendering.RenderedPage:
    """Page ``number`` of ``document`` at ``zoom`` % for a visitor of ``link``, from
    the cache or rendered now within the budgets. Raises ``rendering.RenderFailed``,
    ``RenderBusy``, ``ratelimits.Limited`` or ``ratelimits.CacheUnavailable``."""
    zoom = zoom if zoom in rendering.ZOOMS else rendering.DEFAULT_ZOOM
    page = rendering.cached_page(document, number, zoom)
    if page is not None:  # a rendered page, or a remembered failure, costs nothing
        return page
    ratelimits.check_not_limited(request, ratelimits.RENDER, link)
    seconds = math.ceil(_wait_seconds()) + rendering.longest_render() + LEASE_MARGIN
    places = [
        (f"render.link:{link.pk}", settings.RENDER_CONCURRENT_PER_LINK),
        (
            f"render.network:{client_network(request)}",
            settings.RENDER_CONCURRENT_PER_NETWORK,
        ),
        # Last, so that a visitor over their own bound never takes a site place.
        ("render.site", settings.RENDER_CONCURRENT_SITE),
    ]
    with leases.holding([p for p in places if p[1]], seconds) as held:
        if not held:
            logger.info(
                "Render refused: link %s, its client network or the site has its "
                "renders in progress",
                link.pk,
            )
            raise RenderBusy
        return _render_once(request, link, document, number, zoom, seconds)


def _render_once(request, link, document, number, zoom, seconds):
    # One lease per file, not per page: a slow file's pages asked for at once by
    # several links would otherwise each keep a worker at the time limit, while the
    # first failure, once remembered, answers them all.
    name = f"render.file:{document.pk}:{rendering.version_key(document)}"
    polls = int(_wait_seconds() / POLL_SECONDS)
    for attempt in range(polls + 1):
        key = leases.acquire(name, 1, seconds)
        if key is not None:
            try:
                return _render(request, link, document, number, zoom)
            finally:
                leases.release(key)
        if attempt == polls:
            break
        time.sleep(POLL_SECONDS)  # another request renders this file: our page?
        page = rendering.cached_page(document, number, zoom)
        if page is not None:
            return page
    logger.info("Render postponed: page %s of document %s", number, document.pk)
    raise RenderBusy


def _render(request, link, document, number, zoom):
    # Rendered (or found to fail) by the request that held the page before us?
    page = rendering.cached_page(document, number, zoom)
    if page is not None:
        return page
    started = time.monotonic()
    try:
        return rendering.get_page(document, number, zoom)
    finally:
        # A failed render costs its time too: that is the slow file's whole cost.
        spent = max(1, math.ceil(time.monotonic() - started))
        ratelimits.spend(request, ratelimits.RENDER, link, spent)
