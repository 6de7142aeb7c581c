"""``manage.py securelink_share``: share a document, a collection or a preview of a
page, print the URL.

The URL is printed alone on the last line, so scripts can take it with ``tail -n 1``.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.documents import get_document_model
from wagtail.models import Collection, Page

from wagtail_securelink import services
from wagtail_securelink.choices import Audience, PageRevision, Role, TargetType
from wagtail_securelink.management.arguments import (
    default_owner,
    end_of_day,
    find_user,
    site_language,
    validation_message,
)


class Command(BaseCommand):
    help = (
        "Share a document, a collection or a preview of a page: create a secure "
        "link, email the "
        "invitations, and print the link's URL on the last line."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument(
            "--document",
            type=int,
            metavar="ID",
            help="ID of the Wagtail document to share.",
        )
        target.add_argument(
            "--collection",
            type=int,
            metavar="ID",
            help="ID of the Wagtail collection to share (with its subcollections "
            "unless --no-subcollections).",
        )
        target.add_argument(
            "--page",
            type=int,
            metavar="ID",
            help="ID of the Wagtail page whose preview to share (view only; "
            "'specific' or 'organization' audience).",
        )
        parser.add_argument(
            "--page-revision",
            choices=list(PageRevision.values),
            default=PageRevision.LATEST,
            help="With --page: 'latest' follows the draft as it changes (default), "
            "'shared' shows the revision saved now.",
        )
        parser.add_argument(
            "--allow-comments",
            action="store_true",
            help="With --page: reviewers may send you plain-text comments from the "
            "preview (emailed to you, listed on Manage access).",
        )
        parser.add_argument(
            "--no-subcollections",
            action="store_true",
            help="With --collection: share only the collection's own documents.",
        )
        parser.add_argument(
            "--audience",
            choices=list(Audience.values),
            default=None,
            help="Who may open the link: 'specific' people (the --to addresses, "
            "verified by emailed code), 'organization' (signed-in users of the site) "
            "or 'anyone' with the URL. Default: the site policy's default audience.",
        )
        parser.add_argument(
            "--to",
            action="append",
            default=[],
            metavar="ADDRESS",
            dest="recipients",
            help="Recipient email address (needed for 'specific' links). Repeat the "
            "option, or separate addresses with commas, to share with several people.",
        )
        parser.add_argument(
            "--role",
            choices=list(Role.values),
            default=None,
            help="What the link allows: 'view' (in the browser only), 'download', "
            "'edit' (also upload new versions or documents) or 'upload' (collections "
            "only: upload without seeing the contents). Default: the site policy's "
            "default role.",
        )
        parser.add_argument(
            "--password",
            default="",
            help="With --audience anyone: a password visitors must type. Prefer the "
            "admin's share form: a password on a command line can end up in shell "
            "history.",
        )
        parser.add_argument(
            "--reverify-days",
            type=int,
            default=None,
            metavar="DAYS",
            help="Ask visitors for a new code after this many days (shorter than the "
            "site's reverification period).",
        )
        parser.add_argument(
            "--expires",
            metavar="YYYY-MM-DD",
            help="Last day the link works (it stops at the end of that day, in the "
            "site's time zone). Default: the site policy's default expiry, if any.",
        )
        parser.add_argument(
            "--message", default="", help="A message for the invitation email."
        )
        parser.add_argument(
            "--language",
            metavar="CODE",
            help="The recipients' language, one of the site's LANGUAGES (e.g. 'fr'): "
            "every email to them is written in it. Default: their browser's, on their "
            "first visit (the invitation goes out in the site's default language).",
        )
        parser.add_argument(
            "--keep-public",
            action="store_true",
            help="Keep the document or collection public on the site: without it, a "
            "'specific' or 'organization' link makes it private (Wagtail's own "
            "document URLs stop serving it to the public), as the site policy says.",
        )
        parser.add_argument(
            "--no-email",
            action="store_true",
            help="Create the link without emailing the recipients.",
        )
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USERNAME",
            help="Record this user as the link's creator (shown to recipients as the "
            "sharer, told about forward attempts). Default: the only active "
            "superuser; the command refuses when there are several or none. The "
            "command itself runs with the operator's rights.",
        )

    def find_target(self, options):
        if options["document"] is not None:
            target = get_document_model().objects.filter(pk=options["document"]).first()
            if target is None:
                raise CommandError(
                    _("There is no document with the id %(id)s.")
                    % {"id": options["document"]}
                )
            return target
        if options["page"] is not None:
            target = Page.objects.filter(pk=options["page"], depth__gt=1).first()
            if target is None:
                raise CommandError(
                    _("There is no page with the id %(id)s.") % {"id": options["page"]}
                )
            return target
        target = Collection.objects.filter(pk=options["collection"]).first()
        if target is None:
            raise CommandError(
                _("There is no collection with the id %(id)s.")
                % {"id": options["collection"]}
            )
        return target

    def handle(self, *args, **options):
        target = self.find_target(options)
        user = (
            find_user(options["username"]) if options["username"] else default_owner()
        )
        expires_at = end_of_day(options["expires"]) if options["expires"] else None
        language = site_language(options["language"])
        recipients = [
            address.strip()
            for value in options["recipients"]
            for address in value.split(",")
            if address.strip()
        ]
        audience = options["audience"] or services.current_policy().default_audience
        is_page = isinstance(target, Page)
        page_options = {}
        if is_page:
            page_options["page_version"] = options["page_revision"]
            page_options["allow_comments"] = options["allow_comments"]
            # A page preview is view only: the sensible default, whatever the policy's.
            options["role"] = options["role"] or Role.VIEW
        elif options["allow_comments"]:
            raise CommandError(_("Only a page preview takes comments (--page)."))
        if audience == Audience.SPECIFIC and not recipients:
            raise CommandError(_("Give at least one recipient address with --to."))

        try:
            link = services.create_link(
                target=target,
                created_by=user,
                recipients=recipients,
                audience=audience,
                role=options["role"],
                expires_at=expires_at,
                message=options["message"],
                password=options["password"],
                reverification_days=options["reverify_days"],
                include_descendants=not options["no_subcollections"],
                send_invitations=not options["no_email"],
                keep_public=options["keep_public"],
                language=language,
                **page_options,
            )
        except ValidationError as exc:
            raise CommandError(
                _("The link was not created.\n%(reasons)s")
                % {"reasons": validation_message(exc)}
            ) from None

        self.write_summary(link)
        self.stdout.write(services.link_url(link))

    def privacy_line(self, outcome: str) -> str:
        return {
            "made_private": _(
                "On the site: now private (Wagtail's document URLs no longer serve it "
                "to the public)."
            ),
            "kept_public": _("On the site: kept public, as asked."),
            "already_private": _("On the site: already private."),
        }.get(outcome, _("On the site: public (this link does not change that)."))

    def write_summary(self, link):
        self.stdout.write(
            _("Created link %(id)s to %(title)r (%(audience)s, %(role)s).")
            % {
                "id": link.pk,
                "title": link.target_title,
                "audience": link.get_audience_display(),
                "role": link.get_role_display(),
            }
        )
        if link.created_by is not None:
            self.stdout.write(
                _("Created by: %(user)s") % {"user": link.created_by.get_username()}
            )
        addresses = list(link.recipients.values_list("email", flat=True))
        self.stdout.write(_("Recipients: %(list)s") % {"list": ", ".join(addresses)})
        if link.expires_at:
            expires = timezone.localtime(link.expires_at).strftime("%Y-%m-%d %H:%M %Z")
        else:
            expires = _("never")
        self.stdout.write(_("Expires: %(when)s") % {"when": expires})
        if link.target_type == TargetType.PAGE:
            self.stdout.write(
                _("On the site: a preview of the draft; nothing is published.")
            )
        else:
            self.stdout.write(self.privacy_line(getattr(link, "privacy", "")))
        report = getattr(link, "invitations", None)
        if report is None:
            self.stdout.write(_("No invitations were emailed."))
            return
        if report.sent:
            self.stdout.write(
                _("Invitations sent to: %(list)s") % {"list": ", ".join(report.sent)}
            )
        if report.queued:
            self.stdout.write(
                _("Invitations queued for: %(list)s")
                % {"list": ", ".join(report.queued)}
            )
        if report.failed:
            # The link exists and works; only the email failed. Say so on stderr and
            # still print the URL, so the operator can pass it on another way.
            self.stderr.write(
                _("Invitations could not be sent to: %(list)s")
                % {"list": ", ".join(report.failed)}
            )
