"""``manage.py securelink_verify_audit``: check the access-event hash chain (S15)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wagtail_securelink.events import verify_chain
from wagtail_securelink.models import AccessEvent


class Command(BaseCommand):
    help = (
        "Walk the hash chain of access events and report the first event that was "
        "edited, or after which events were deleted. Exits 1 when the chain is broken."
    )

    def handle(self, *args, **options):
        problem = verify_chain()
        if problem is not None:
            raise CommandError(
                _("The audit trail is broken at event %(id)s: %(reason)s.")
                % {"id": problem.event_id, "reason": problem.reason}
            )
        self.stdout.write(
            _("The audit trail is intact (%(count)s events).")
            % {"count": AccessEvent.objects.count()}
        )
