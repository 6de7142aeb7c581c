"""``manage.py securelink_erase ADDRESS``: erase one person's data (right to erasure)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wagtail_securelink import services


class Command(BaseCommand):
    help = (
        "Erase an email address and the IP addresses and user agents recorded with it: "
        "the address is removed from every link (ending its access), its codes and "
        "grants are deleted, the database sessions holding it are ended, and its access "
        "events are blanked. The audit chain stays "
        "verifiable."
    )

    def add_arguments(self, parser):
        parser.add_argument("address", help="The email address to erase.")

    def handle(self, *args, address, **options):
        try:
            report = services.erase_address(address)
        except ValidationError:
            raise CommandError(
                _("%(value)r is not a valid email address.") % {"value": address}
            ) from None
        self.stdout.write(
            _(
                "Erased %(address)s: %(recipients)s recipient entries, %(events)s access events."
            )
            % {
                "address": report["address"],
                "recipients": report["recipients"],
                "events": report["events"],
            }
        )
        if report["sessions"] is None:
            self.stdout.write(
                _(
                    "Sessions are not in the database (SESSION_ENGINE): those that hold "
                    "the address keep it until they expire; its access has ended."
                )
            )
        else:
            self.stdout.write(
                ngettext(
                    "%(sessions)s session that held the address ended or cleaned.",
                    "%(sessions)s sessions that held the address ended or cleaned.",
                    report["sessions"],
                )
                % {"sessions": report["sessions"]}
            )
