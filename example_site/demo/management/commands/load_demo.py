"""Load the demo data: an admin user, two collections, four documents, a page with a
draft, and three share links.

The two links show both sides of "private by default" (SPEC §2 *Private item*): the
agreement shared with specific people becomes private (Wagtail's own document URL
answers 404 to the public), while the press release, shared the same way, is kept
public on purpose, as an editor would for a document used on live pages. The third is a
page preview (SPEC §2 *Page preview*): a published page whose newer draft is shared
with one reviewer, who may comment.

Idempotent: run it again and it reuses what is already there. The demo links are found
again by their marker message, their document and their recipients (alice and bob), so
links shared since, to the same items or to others, are never printed instead;
a demo link that was revoked or has expired is replaced by a new one.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from wagtail.documents import get_document_model
from wagtail.models import Collection, Page, Site

from demo import samples

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "changeme"  # printed below; a demo credential, not a secret
RECIPIENTS = ["alice@example.com", "bob@example.org"]
# The page preview's one reviewer, and the page's live and draft titles.
REVIEWER = "rita@example.net"
PAGE_SLUG = "spring-launch"
PAGE_LIVE_TITLE = "Spring launch"
PAGE_DRAFT_TITLE = "Spring launch: new pricing (draft)"
# Recorded in each demo link's message: how a later run finds the links it made.
DEMO_MESSAGE = "A demo link made by manage.py load_demo."


def demo_documents():
    """(collection name, title, filename, content) of each demo document."""
    return [
        (
            "Contracts",
            "Master services agreement",
            "master-services-agreement.pdf",
            samples.pdf_bytes("Master services agreement - wagtail-securelink demo"),
        ),
        (
            "Contracts",
            "Statement of work",
            "statement-of-work.docx",
            samples.docx_bytes(
                ["Statement of work", "Deliverables, milestones and acceptance."]
            ),
        ),
        (
            "Marketing",
            "Campaign banner",
            "campaign-banner.png",
            samples.png_bytes(),
        ),
        (
            "Marketing",
            "Press release",
            "press-release.txt",
            samples.txt_bytes(
                ["FOR IMMEDIATE RELEASE", "", "wagtail-securelink demo press release."]
            ),
        ),
    ]


class Command(BaseCommand):
    help = "Create demo data for the example site (safe to run more than once)."

    def handle(self, *args, **options):
        # Imported here so that `manage.py help` works even if the app is broken.
        from wagtail_securelink import services
        from wagtail_securelink.models import ShareLink

        base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
        with transaction.atomic():
            user = self.get_admin()
            collections = {
                name: self.get_collection(name) for name in ("Contracts", "Marketing")
            }
            documents = [
                self.get_document(
                    collections[collection], title, filename, content, user
                )
                for collection, title, filename, content in demo_documents()
            ]

            private_link = self.get_link(services, ShareLink, documents[0], user)
            public_link = self.get_link(
                services, ShareLink, documents[3], user, keep_public=True
            )
            page = self.get_page()
            page_link = self.get_page_link(services, ShareLink, page, user)

        self.stdout.write(
            f"Admin: {base_url}/admin/ user {ADMIN_USERNAME} password {ADMIN_PASSWORD}"
        )
        for link in (private_link, public_link):
            document = link.document
            state = services.item_state(document)
            self.stdout.write(
                f"Share link to {document.title!r} (specific people: "
                f"{', '.join(RECIPIENTS)}): {services.link_url(link)}"
            )
            if state.private:
                self.stdout.write(
                    f"  Private: {base_url}{document.url} answers 404 to the public."
                )
            else:
                self.stdout.write(
                    f"  Kept public: {base_url}{document.url} still serves it to "
                    "everyone."
                )
        self.stdout.write(
            f"Share link to {page_link.target_title!r} (specific people: {REVIEWER}; "
            f"a preview of the latest draft, comments allowed): "
            f"{services.link_url(page_link)}"
        )
        self.stdout.write(
            f"  Live page: {base_url}{page.url} still shows {PAGE_LIVE_TITLE!r}."
        )

    def get_link(self, services, ShareLink, document, user, keep_public=False):
        link = self.find_demo_link(ShareLink, document)
        if link is not None:
            return link
        try:
            return services.create_link(
                target=document,
                created_by=user,
                recipients=RECIPIENTS,
                role="download",
                audience="specific",
                message=DEMO_MESSAGE,
                send_invitations=False,
                keep_public=keep_public,
            )
        except ValidationError as error:
            raise CommandError(f"Could not create the demo link: {error}") from error

    def get_page_link(self, services, ShareLink, page, user):
        """The demo preview of ``page`` for the reviewer, or a new one."""
        candidates = (
            ShareLink.objects.active()
            .filter(page=page, audience="specific", message=DEMO_MESSAGE)
            .order_by("created_at", "pk")
            .prefetch_related("recipients")
        )
        for link in candidates:
            if [r.email for r in link.recipients.all()] == [REVIEWER]:
                return link
        try:
            return services.create_link(
                target=page,
                created_by=user,
                recipients=[REVIEWER],
                role="view",
                audience="specific",
                message=DEMO_MESSAGE,
                send_invitations=False,
                allow_comments=True,
            )
        except ValidationError as error:
            raise CommandError(f"Could not create the demo link: {error}") from error

    def get_page(self):
        """A published page with a newer draft, under the default site's home page."""
        site = Site.objects.filter(is_default_site=True).first()
        home = site.root_page if site else Page.get_first_root_node()
        page = home.get_children().filter(slug=PAGE_SLUG).first()
        if page is not None:
            return page.specific
        page = home.add_child(instance=Page(title=PAGE_LIVE_TITLE, slug=PAGE_SLUG))
        page.save_revision().publish()
        page = Page.objects.get(pk=page.pk)
        page.title = PAGE_DRAFT_TITLE
        page.save_revision()
        self.stdout.write(f"Created page {PAGE_LIVE_TITLE!r} with a draft.")
        return Page.objects.get(pk=page.pk)

    def find_demo_link(self, ShareLink, document):
        """The oldest working demo link to ``document`` for exactly alice and bob."""
        candidates = (
            ShareLink.objects.active()
            .filter(document=document, audience="specific", message=DEMO_MESSAGE)
            .order_by("created_at", "pk")
            .prefetch_related("recipients")
        )
        for link in candidates:
            if sorted(r.email for r in link.recipients.all()) == sorted(RECIPIENTS):
                return link
        return None

    def get_admin(self):
        User = get_user_model()
        user = User.objects.filter(username=ADMIN_USERNAME).first()
        if user is None:
            user = User.objects.create_superuser(
                username=ADMIN_USERNAME,
                email="admin@example.com",
                password=ADMIN_PASSWORD,
            )
            self.stdout.write(f"Created superuser {ADMIN_USERNAME!r}.")
        return user

    def get_collection(self, name):
        root = Collection.get_first_root_node()
        collection = root.get_children().filter(name=name).first()
        if collection is None:
            collection = root.add_child(name=name)
            self.stdout.write(f"Created collection {name!r}.")
        return collection

    def get_document(self, collection, title, filename, content, user):
        Document = get_document_model()
        document = Document.objects.filter(title=title, collection=collection).first()
        if document is None:
            document = Document(
                title=title, collection=collection, uploaded_by_user=user
            )
            document.file.save(filename, ContentFile(content), save=False)
            # As Wagtail's own upload view does: record size and hash.
            document._set_document_file_metadata()
            document.save()
            self.stdout.write(f"Created document {title!r} ({filename}).")
        return document
