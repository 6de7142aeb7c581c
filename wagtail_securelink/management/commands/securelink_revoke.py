"""``manage.py securelink_revoke``: end access through one or more links at once.

Links are named by id, by full URL or by bare token. Every name is resolved first: if
any is unknown, nothing is revoked. ``--created-by USERNAME`` adds every link that user
created and that is not revoked yet (an editor leaves: docs/operations.md).
"""

from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wagtail_securelink import services
from wagtail_securelink.management.arguments import find_user
from wagtail_securelink.models import ShareLink


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


def links_created_by(username: str):
    """The links ``username`` created that are not revoked; the user may be inactive
    already (an editor who left), so ``is_active`` is not required here."""
    User = get_user_model()
    user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
    if user is None:
        raise CommandError(
            _("There is no user with the username %(name)r.") % {"name": username}
        )
    return ShareLink.objects.filter(created_by=user, revoked_at__isnull=True).order_by(
        "pk"
    )


class Command(BaseCommand):
    help = (
        "Revoke share links, named by id, full URL or token. Access ends on the "
        "visitor's next request."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "links",
            nargs="*",
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
        parser.add_argument(
            "--created-by",
            dest="created_by",
            metavar="USERNAME",
            help="Also revoke every link this user created that is not revoked yet "
            "(expired ones included, so nobody can extend them later).",
        )

    def handle(self, *args, **options):
        if not options["links"] and not options["created_by"]:
            raise CommandError(
                _("Name at least one link, or use --created-by USERNAME.")
            )
        user = find_user(options["username"]) if options["username"] else None
        found, unknown = [], []
        if options["created_by"]:
            found.extend(links_created_by(options["created_by"]))
            if not found and not options["links"]:
                self.stdout.write(
                    _("%(name)s has no link left to revoke.")
                    % {"name": options["created_by"]}
                )
                return
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
