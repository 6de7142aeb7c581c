from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailSecureLinkConfig(AppConfig):
    name = "wagtail_securelink"
    label = "wagtail_securelink"
    verbose_name = _("Secure links")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks, signal_handlers  # noqa: F401  (checks register on import)

        signal_handlers.register()
