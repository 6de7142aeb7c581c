from django.conf import settings
from django.urls import include, path
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("share/", include("wagtail_securelink.urls")),
]

if WAGTAIL_VERSION >= (8, 0):
    # Wagtail's API v3, with the secure-link endpoints under /api/v3/securelink/
    # (docs/api.md). Wagtail 7.4 has no API v3.
    from wagtail.api.v3.urls import api

    urlpatterns.append(path("api/v3/", api.urls))

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    # Only image files are served straight from MEDIA_ROOT. Documents must never
    # be: a public URL for media/documents/ would bypass both Wagtail's
    # collection privacy and every secure link (WAGTAILDOCS_SERVE_METHOD is
    # "serve_view", so documents always go through a view that checks access).
    for folder in ("images", "original_images"):
        urlpatterns += static(
            f"{settings.MEDIA_URL}{folder}/",
            document_root=settings.MEDIA_ROOT / folder,
        )

urlpatterns += [
    # Anything not caught above is a Wagtail page.
    path("", include(wagtail_urls)),
]
