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
if WAGTAIL_VERSION >= (8, 0):  # Wagtail 7.4 has no API v3
    from wagtail.api.v3.urls import api

    urlpatterns.append(path("api/v3/", api.urls))
urlpatterns.append(path("", include(wagtail_urls)))
