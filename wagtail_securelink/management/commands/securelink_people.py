"""``manage.py securelink_people``: the People area at the command line.

``list`` prints every recipient address with its facts (``--csv`` for a spreadsheet);
``remove ADDRESS`` takes an address off every link, keeping the audit trail (unlike
``securelink_erase``); ``expire ADDRESS --until YYYY-MM-DD`` (or ``--clear``) sets the
person's own end of access on every link.
"""

import csv
import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail_securelink import services
from wagtail_securelink.core.addresses import end_of_day
from wagtail_securelink.core.spreadsheets import safe_cell


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


class Command(BaseCommand):
    help = "List the people on share links, remove one from every link, or set when their access ends."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        listing = commands.add_parser("list", help="Every recipient address.")
        listing.add_argument("--domain", help="Only addresses at this domain.")
        listing.add_argument("--csv", action="store_true", help="CSV output.")
        remove = commands.add_parser("remove", help="Remove an address everywhere.")
        remove.add_argument("address")
        expire = commands.add_parser("expire", help="Set an address's end of access.")
        expire.add_argument("address")
        group = expire.add_mutually_exclusive_group(required=True)
        group.add_argument("--until", type=datetime.date.fromisoformat)
        group.add_argument("--clear", action="store_true")

    def handle(self, *args, **options):
        return getattr(self, f"do_{options['action']}")(options)

    def _rows(self, address):
        try:
            address = services.normalise_email(address)
        except ValidationError:
            raise CommandError(_("This is not a valid email address.")) from None
        rows = services.recipients_of(None, [address])
        if not rows.exists():
            raise CommandError(_("%(email)s is on no link.") % {"email": address})
        return address, rows

    def do_list(self, options):
        people = services.people_for(None).order_by("email")
        if options["domain"]:
            people = people.filter(email__iendswith="@" + options["domain"].lstrip("@"))
        header = [
            _("email"),
            _("links"),
            _("items"),
            _("working links"),
            _("access until"),
            _("last verified"),
            _("last opened"),
            _("locked on"),
        ]
        rows = (
            [
                p.email,
                str(p.link_count),
                str(p.item_count),
                str(p.open_link_count),
                _when(p.access_until),
                _when(p.last_verified),
                _when(p.last_opened),
                str(p.locked_count),
            ]
            for p in people.iterator(chunk_size=2000)
        )
        if options["csv"]:
            writer = csv.writer(self.stdout)
            writer.writerow(header)
            for row in rows:
                writer.writerow([safe_cell(cell) for cell in row])
            return
        rows = list(rows)
        if not rows:
            self.stdout.write(_("Nobody is on a link."))
            return
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            )

    def do_remove(self, options):
        address, rows = self._rows(options["address"])
        count = services.remove_people(rows)
        self.stdout.write(
            _("Removed %(email)s from %(count)d links; the audit trail keeps them.")
            % {"email": address, "count": count}
        )

    def do_expire(self, options):
        address, rows = self._rows(options["address"])
        until = None if options["clear"] else end_of_day(options["until"])
        try:
            count = services.set_access_end(rows, until)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if until is None:
            message = _("%(email)s: no end of access of their own on %(count)d links.")
        else:
            message = _("%(email)s: access ends on %(date)s on %(count)d links.")
        self.stdout.write(
            message
            % {
                "email": address,
                "count": count,
                "date": options["until"].isoformat() if until else "",
            }
        )
