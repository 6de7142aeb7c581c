"""``manage.py securelink_digest``: the sharer's hygiene mails (SPEC §5).

Weekly (default): one digest per editor with links that expire within a week, were
never opened, or have not been used for 90 days. Daily, with ``--expiry-notices``: a
notice for each link that expires in three days, with a one-click *Extend*.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from wagtail_securelink.mail import digest, notifications
from wagtail_securelink.models import ShareLink
from wagtail_securelink.tasks import background


class Command(BaseCommand):
    help = (
        "Queue the weekly digest of shared links for every editor who has active "
        "links, or (--expiry-notices) a notice for each link expiring in 3 days."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--expiry-notices",
            action="store_true",
            help="Send the 'expires in 3 days' notices instead of the digest "
            "(run this daily).",
        )

    def handle(self, *args, **options):
        if options["expiry_notices"]:
            count = notifications.send_expiry_notices()
            self.stdout.write(_("Queued %(count)d expiry notices.") % {"count": count})
            people = notifications.send_person_expiry_notices()
            self.stdout.write(
                _("Queued %(count)d notices of people whose access ends soon.")
                % {"count": people}
            )
            return
        user_ids = (
            ShareLink.objects.active()
            .filter(created_by__isnull=False)
            .order_by()
            .values_list("created_by", flat=True)
            .distinct()
        )
        count = 0
        for user_id in user_ids:
            background.dispatch(digest.digest_task, user_id)
            count += 1
        self.stdout.write(_("Queued digests for %(count)d editors.") % {"count": count})
