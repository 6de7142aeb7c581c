"""``manage.py securelink_purge``: retention (SPEC §6, S15). Run it daily."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wagtail_securelink import services
from wagtail_securelink.operations import retention
from wagtail_securelink.tasks import recovery


class Command(BaseCommand):
    help = (
        "Delete dead verification codes, grants that ended, access events older "
        "than the policy's retention (keeping the audit chain verifiable) and ended "
        "rate-limit windows; optionally "
        "expire links that have not been used for a number of days."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retention-days",
            type=int,
            metavar="DAYS",
            help="Override the policy's access event retention (30 to 3650 days).",
        )
        parser.add_argument(
            "--expire-unused-after",
            type=int,
            metavar="DAYS",
            help="Expire active links not opened for this many days (1 to 3650). "
            "Defaults to the policy's setting when it has one; off otherwise.",
        )

    def handle(self, *args, **options):
        policy = services.current_policy()
        days = options["retention_days"] or policy.event_retention_days
        if not 30 <= days <= 3650:
            raise CommandError(_("--retention-days must be between 30 and 3650."))
        unused = options["expire_unused_after"]
        if unused is None:
            # A policy field of this name may be added; until then the option decides.
            unused = getattr(policy, "expire_unused_links_days", None) or None
        if unused is not None and not 1 <= unused <= 3650:
            raise CommandError(_("--expire-unused-after must be between 1 and 3650."))
        report = retention.purge(retention_days=days, expire_unused_days=unused)
        # Email tasks a killed worker left running go out again (tasks/recovery.py).
        recovered = recovery.recover_stalled_tasks()
        if recovered:
            self.stdout.write(
                _("Enqueued again %(count)d email tasks lost with their worker.")
                % {"count": recovered}
            )
        self.stdout.write(
            _(
                "Deleted %(codes)d codes, %(grants)d grants, %(events)d events and "
                "%(counters)d ended rate-limit windows; expired %(links)d unused links."
            )
            % {
                "codes": report.codes,
                "grants": report.grants,
                "events": report.events,
                "counters": report.rate_counters,
                "links": report.expired_links,
            }
        )
        if report.events:
            self.stdout.write(
                _("Events deleted at %(rate)d a second, in batches of %(batch)d.")
                % {"rate": report.events_per_second, "batch": retention.PURGE_BATCH}
            )
