"""``manage.py securelink_revoke``: end access through one or more links at once.

Links are named by id, by full URL or by bare token. Every name is resolved first: if
any is unknown, nothing is revoked.
"""

from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wagtail_securelink import services
from wagtail_securelink.models import ShareLink

from .securelink_share import find_user


def find_link(value: str) -> ShareLink | None:
    value = value.strip()
    if value.isascii() and value.isdigit():
        return ShareLink.objects.filter(pk=int(value)).first()
    # A URL may carry a prefix (/share/), a suffix (download/) or a path in the base
    # URL; the token is whichever path segment resolves. resolve_token never raises.
    for segment in urlsplit(value).path.split("/"):
        if segment:
            link = services.resolve_token(segment)
            if link is not None:
                return link
    return None


class Command(BaseCommand):
    help = (
        "Revoke share links, named by id, full URL or token. Access ends on the "
        "visitor's next request."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "links",
            nargs="+",
            metavar="URL_OR_ID",
            help="A link id (see securelink_list), its URL, or its token. A token "
            "can start with '-': put '--' before it, as in "
            "'securelink_revoke -- -Xb3…'.",
        )
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USERNAME",
            help="Record this user as the one who revoked the links.",
        )

    def handle(self, *args, **options):
        user = find_user(options["username"]) if options["username"] else None
        found, unknown = [], []
        for value in options["links"]:
            link = find_link(value)
            if link is None:
                # Do not echo a whole URL into terminals and logs: under other
                # settings (another SECRET_KEY) it may be a live link.
                unknown.append(value if len(value) <= 24 else value[:20] + "…")
            elif link not in found:
                found.append(link)
        if unknown:
            raise CommandError(
                ngettext(
                    "No link matches %(list)s. Nothing was revoked.",
                    "No links match %(list)s. Nothing was revoked.",
                    len(unknown),
                )
                % {"list": ", ".join(unknown)}
            )
        for link in found:
            if link.is_revoked:
                self.stdout.write(
                    _("Link %(id)s (%(title)s) was already revoked.")
                    % {"id": link.pk, "title": link.target_title}
                )
                continue
            services.revoke_link(link, user=user)
            self.stdout.write(
                _("Revoked link %(id)s (%(title)s).")
                % {"id": link.pk, "title": link.target_title}
            )
