"""Plain helpers that create the objects tests need, through the real APIs."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.models import Collection, GroupCollectionPermission

# A tiny but well-formed one-page PDF.
PDF_CONTENT = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n"
    b"%%EOF\n"
)


def make_collection(name: str, parent: Collection | None = None) -> Collection:
    """A collection under ``parent`` (default: the root collection)."""
    parent = parent or Collection.get_first_root_node()
    return parent.add_child(name=name)


def make_document(
    title: str = "Report",
    filename: str = "report.pdf",
    content: bytes = PDF_CONTENT,
    collection: Collection | None = None,
    uploaded_by_user=None,
):
    """A Wagtail document with a real file in (the test's) MEDIA_ROOT."""
    Document = get_document_model()
    document = Document(
        title=title,
        collection=collection or Collection.get_first_root_node(),
        uploaded_by_user=uploaded_by_user,
    )
    document.file.save(filename, ContentFile(content), save=False)
    # As Wagtail's upload view does: record the file's size and hash.
    document._set_document_file_metadata()
    document.save()
    return document


def make_user(
    username: str = "editor",
    email: str | None = None,
    *,
    superuser: bool = False,
    perms: Iterable[str] = (),
    collection_perms: Iterable[tuple[Collection, str]] = (),
    password: str = "password",
):
    """A user.

    ``perms`` are global permissions as ``"app_label.codename"`` (for instance
    ``"wagtailadmin.access_admin"``); ``collection_perms`` are Wagtail
    collection permissions as ``(collection, "codename")`` pairs, for instance
    ``(collection, "change_document")``, granted through a group of their own.
    """
    User = get_user_model()
    email = email if email is not None else f"{username}@example.com"
    if superuser:
        user = User.objects.create_superuser(
            username=username, email=email, password=password
        )
    else:
        user = User.objects.create_user(
            username=username, email=email, password=password
        )

    for perm in perms:
        app_label, codename = perm.split(".", 1)
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )

    collection_perms = list(collection_perms)
    if collection_perms:
        group = Group.objects.create(name=f"{username} collection permissions")
        for collection, codename in collection_perms:
            GroupCollectionPermission.objects.create(
                group=group,
                collection=collection,
                permission=Permission.objects.get(
                    content_type__app_label="wagtaildocs", codename=codename
                ),
            )
        user.groups.add(group)
    return user


def make_link(document, recipients: Iterable[str] = (), **kwargs):
    """A share link made through the service API (``services.create_link``).

    Defaults: a ``specific``-people ``download`` link created by a superuser
    "owner", without sending invitations. Any keyword overrides them.
    """
    from wagtail_securelink import services

    if "created_by" not in kwargs:
        User = get_user_model()
        kwargs["created_by"] = User.objects.filter(
            username="owner"
        ).first() or make_user("owner", superuser=True)
    kwargs.setdefault("audience", "specific")
    kwargs.setdefault("role", "download")
    kwargs.setdefault("send_invitations", False)
    return services.create_link(target=document, recipients=list(recipients), **kwargs)


def every_event_type(link):
    """One event of each type without a link (as an editor's Make private/public, a
    purge record), and one with a link."""
    from wagtail_securelink.audit.events import record_event
    from wagtail_securelink.choices import EventType

    for event_type in EventType.values:
        record_event(event_type, detail={"reason": "test"})
        record_event(event_type, link=link)
    return len(EventType.values) * 2
