"""Add our routers to Wagtail's API v3; called once from ``AppConfig.ready()``.

Wagtail builds the API's URLs when the URLconf first reads ``api.urls``; routers must
be added before that, which ``ready()`` guarantees. Calling ``mount_api`` again (a test
re-running ``ready()``) changes nothing.
"""

from wagtail.api.v3.api import api

from wagtail_securelink.api import activity, documents, errors, links

__all__ = ["mount_api", "PREFIX"]

PREFIX = "/securelink/"
_mounted = []


def mount_api() -> None:
    if _mounted:
        return
    _mounted.append(True)
    errors.register_exception_handlers(api)
    api.add_router(f"{PREFIX}links/", links.router)
    api.add_router(f"{PREFIX}events/", activity.router)
    documents.install()
