"""``manage.py securelink_verify_audit``: check the access-event hash chain (S15)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wagtail_securelink.audit.chain import check_chain, seal_chain, unsealed_count


class Command(BaseCommand):
    help = (
        "Walk the hash chain of access events and report the first event that was "
        "edited, or after which events were deleted, and how many events await "
        "sealing. Events sealed before a recorded SECRET_KEY change whose key is no "
        "longer in SECRET_KEY_FALLBACKS are reported as signed with a retired key "
        "(their order is checked, not their content). Exits 1 when the chain is broken."
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
        report = check_chain()
        problem = report.problem
        if problem is not None:
            raise CommandError(
                _("The audit trail is broken at event %(id)s: %(reason)s.")
                % {"id": problem.event_id, "reason": problem.reason}
            )
        waiting = unsealed_count()
        self.stdout.write(
            _("The audit trail is intact (%(count)s sealed events).")
            % {"count": report.sealed}
        )
        if report.retired:
            self.stdout.write(
                _(
                    "%(count)s events (ids %(first)s to %(last)s) are signed with a "
                    "retired key: they were sealed before a SECRET_KEY change and that "
                    "key is no longer in SECRET_KEY_FALLBACKS. Their order is checked; "
                    "their content can no longer be."
                )
                % {
                    "count": report.retired,
                    "first": report.retired_first_id,
                    "last": report.retired_last_id,
                }
            )
        if waiting:
            self.stdout.write(
                _(
                    "%(count)s newer events await sealing (they are recorded; "
                    "sealing runs within seconds, or now with --seal)."
                )
                % {"count": waiting}
            )
