"""Load the demo data: an admin user, two collections, four documents and one share link.

Idempotent: run it again and it reuses what is already there.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from wagtail.documents import get_document_model
from wagtail.models import Collection

from demo import samples

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "changeme"  # printed below; a demo credential, not a secret
RECIPIENTS = ["alice@example.com", "bob@example.org"]


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

            link = ShareLink.objects.filter(created_by=user).first()
            if link is None:
                try:
                    link = services.create_link(
                        target=documents[0],
                        created_by=user,
                        recipients=RECIPIENTS,
                        role="download",
                        audience="specific",
                        send_invitations=False,
                    )
                except ValidationError as error:
                    raise CommandError(
                        f"Could not create the demo link: {error}"
                    ) from error

        self.stdout.write(
            f"Admin: {base_url}/admin/ user {ADMIN_USERNAME} password {ADMIN_PASSWORD}"
        )
        self.stdout.write(
            f"Share link (specific people: {', '.join(RECIPIENTS)}): "
            f"{services.link_url(link)}"
        )

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
