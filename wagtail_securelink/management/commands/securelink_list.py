"""``manage.py securelink_list``: a table of share links, filtered by status or document."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.documents import get_document_model

from wagtail_securelink.models import ShareLink

STATUSES = ["active", "expired", "revoked", "all"]
MAX_WIDTH = {"target": 40, "recipients": 50}


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class Command(BaseCommand):
    help = "List share links: id, target, audience, role, recipients, dates, status, opens."

    def add_arguments(self, parser):
        parser.add_argument(
            "--status",
            choices=STATUSES,
            default="all",
            help="Only links in this state (default: all).",
        )
        parser.add_argument(
            "--document",
            type=int,
            metavar="ID",
            help="Only links to the document with this ID.",
        )

    def handle(self, *args, **options):
        links = ShareLink.objects.with_status()
        status = options["status"]
        if status == "active":
            links = links.active()
        elif status == "expired":
            links = links.expired()
        elif status == "revoked":
            links = links.revoked()
        if options["document"] is not None:
            if not get_document_model().objects.filter(pk=options["document"]).exists():
                raise CommandError(
                    _("There is no document with the id %(id)s.")
                    % {"id": options["document"]}
                )
            links = links.filter(document_id=options["document"])
        links = links.prefetch_related("recipients")

        header = [
            _("id"),
            _("target"),
            _("audience"),
            _("role"),
            _("recipients"),
            _("created"),
            _("expires"),
            _("status"),
            _("opens"),
        ]
        rows = [
            [
                str(link.pk),
                _clip(link.target_title, MAX_WIDTH["target"]),
                link.audience,
                link.role,
                _clip(
                    ", ".join(r.email for r in link.recipients.all()),
                    MAX_WIDTH["recipients"],
                ),
                _when(link.created_at),
                _when(link.expires_at),
                link.status,
                str(link.open_count),
            ]
            for link in links
        ]
        if not rows:
            self.stdout.write(_("No links."))
            return
        widths = [
            max(len(row[i]) for row in [header, *rows]) for i in range(len(header))
        ]
        for row in [header, *rows]:
            line = "  ".join(
                cell.ljust(width) for cell, width in zip(row, widths, strict=True)
            )
            self.stdout.write(line.rstrip())
