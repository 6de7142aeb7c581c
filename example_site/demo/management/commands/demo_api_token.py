"""Print a fresh API v3 bearer token for the demo admin (``make demo`` runs this).

Wagtail stores only a keyed hash of a token, so the secret can be shown once: each run
revokes the previous demo token and prints a new one. On Wagtail 7.4, which has no
API v3, it says so and does nothing.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from wagtail import VERSION as WAGTAIL_VERSION

from .load_demo import ADMIN_USERNAME

TOKEN_NAME = "demo"


class Command(BaseCommand):
    help = "Create an API v3 token for the demo admin and print it with curl variables."

    def handle(self, *args, **options):
        if WAGTAIL_VERSION < (8, 0):
            self.stdout.write("API v3 needs Wagtail 8: no demo token.")
            return
        from django.utils import timezone
        from wagtail.models import APIToken

        user = get_user_model().objects.filter(username=ADMIN_USERNAME).first()
        if user is None:
            raise CommandError("Run load_demo first: there is no demo admin.")
        APIToken.objects.filter(
            user=user, name=TOKEN_NAME, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        _token, secret = APIToken.create_token(user=user, name=TOKEN_NAME)
        base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
        self.stdout.write("API v3 (docs/api.md), as the demo admin:")
        self.stdout.write(f"  export API={base_url}/api/v3")
        self.stdout.write(f"  export TOKEN={secret}")
        self.stdout.write(
            '  curl -H "Authorization: Bearer $TOKEN" "$API/securelink/links/"'
        )
