"""``manage.py securelink_verify_audit``: check the access-event hash chain (S15)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wagtail_securelink.chain import seal_chain, unsealed_count, verify_chain
from wagtail_securelink.models import AccessEvent


class Command(BaseCommand):
    help = (
        "Walk the hash chain of access events and report the first event that was "
        "edited, or after which events were deleted, and how many events await "
        "sealing. Exits 1 when the chain is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seal",
            action="store_true",
            help="Seal the events that await sealing before checking.",
        )

    def handle(self, *args, **options):
        if options["seal"]:
            seal_chain()
        problem = verify_chain()
        if problem is not None:
            raise CommandError(
                _("The audit trail is broken at event %(id)s: %(reason)s.")
                % {"id": problem.event_id, "reason": problem.reason}
            )
        waiting = unsealed_count()
        self.stdout.write(
            _("The audit trail is intact (%(count)s sealed events).")
            % {"count": AccessEvent.objects.filter(seq__isnull=False).count()}
        )
        if waiting:
            self.stdout.write(
                _(
                    "%(count)s newer events await sealing (they are recorded; "
                    "sealing runs within seconds, or now with --seal)."
                )
                % {"count": waiting}
            )
