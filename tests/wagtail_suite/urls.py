"""Wagtail's test URL configuration with wagtail_securelink's URLs in front."""

from django.urls import include, path
from wagtail.test.urls import urlpatterns as wagtail_test_urlpatterns

urlpatterns = [
    path("share/", include("wagtail_securelink.urls")),
    *wagtail_test_urlpatterns,
]
