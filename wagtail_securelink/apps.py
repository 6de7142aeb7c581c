from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail import VERSION as WAGTAIL_VERSION


class WagtailSecureLinkConfig(AppConfig):
    name = "wagtail_securelink"
    label = "wagtail_securelink"
    verbose_name = _("Secure links")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from wagtail_securelink import checks, signal_handlers  # noqa: F401  (checks register on import)

        signal_handlers.register()
        if WAGTAIL_VERSION >= (8, 0):
            # Wagtail 8's API v3 takes routers from apps' ready(), before its URLs are
            # built. Wagtail 7.4 LTS has no API v3: nothing of ``api`` is imported there.
            from wagtail_securelink.api.mount import mount_api

            mount_api()
