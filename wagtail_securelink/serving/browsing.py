"""What a collection link reaches, decided at request time (S11): its folder pages and
its ZIP downloads (SPEC §4).

A collection link reaches the documents whose collection is, *now*, the shared one (or
inside its subtree when the link includes subcollections). Moving a document out, or
deleting a collection, takes it out of reach on the next request.
"""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet, Sum
from wagtail.documents import get_document_model
from wagtail.models import Collection

__all__ = [
    "scope_filter",
    "documents_in_scope",
    "get_document",
    "get_folder",
    "Listing",
    "list_folder",
    "SORTS",
    "zip_documents",
    "zip_folders",
    "ZipSize",
    "zip_size",
]

PAGE_SIZE = 50
SORTS = {
    "title": ("title", "pk"),
    "-title": ("-title", "-pk"),
    "newest": ("-created_at", "-pk"),
    "oldest": ("created_at", "pk"),
    "largest": ("-file_size", "pk"),
    "smallest": ("file_size", "pk"),
}
_LISTING_FIELDS = ("id", "title", "file", "file_size", "created_at", "collection_id")


def scope_filter(link, prefix: str = "collection") -> Q:
    root = link.collection
    if link.include_descendants:
        return Q(**{f"{prefix}__path__startswith": root.path})
    return Q(**{f"{prefix}_id": root.pk})


def documents_in_scope(link) -> QuerySet:
    return get_document_model().objects.filter(scope_filter(link))


def get_document(link, document_id):
    """The document, if the link reaches it right now; else ``None``."""
    if link.document_id is not None:
        return link.document if link.document_id == document_id else None
    if link.collection_id is None:  # a page preview reaches no document
        return None
    return (
        documents_in_scope(link)
        .filter(pk=document_id)
        .select_related("collection")
        .first()
    )


def get_folder(link, collection_id: int | None = None) -> Collection | None:
    root = link.collection
    if root is None:  # a document link reaches no folder
        return None
    if collection_id is None or collection_id == root.pk:
        return root
    if not link.include_descendants:
        return None
    return Collection.objects.filter(
        pk=collection_id, path__startswith=root.path
    ).first()


@dataclass
class Listing:
    folder: Collection
    breadcrumbs: list
    subfolders: list
    page: Page
    query: str
    sort: str


def _breadcrumbs(link, folder) -> list:
    root = link.collection
    if folder.pk == root.pk:
        return [root]
    ancestors = folder.get_ancestors(inclusive=True).filter(depth__gte=root.depth)
    return list(ancestors)


def list_folder(
    link, folder, *, query: str = "", sort: str = "title", page_number=1
) -> Listing:
    """One folder page: subfolders and this folder's documents, or search results over the
    whole shared scope. Query count does not grow with the number of documents."""
    sort = sort if sort in SORTS else "title"
    # Printable characters only: PostgreSQL refuses NUL in any text parameter (a 500
    # otherwise), and no title contains control characters anyway.
    query = "".join(ch for ch in (query or "") if ch.isprintable()).strip()[:200]
    if query:
        documents = documents_in_scope(link).filter(title__icontains=query)
        subfolders = []
    else:
        documents = get_document_model().objects.filter(collection=folder)
        subfolders = (
            list(folder.get_children().order_by("name"))
            if link.include_descendants
            else []
        )
    documents = documents.only(*_LISTING_FIELDS).order_by(*SORTS[sort])
    page = Paginator(documents, PAGE_SIZE).get_page(page_number)
    return Listing(folder, _breadcrumbs(link, folder), subfolders, page, query, sort)


# ZIP downloads -----------------------------------------------------------------------


def zip_documents(link, folder: Collection) -> QuerySet:
    """The documents a ZIP of ``folder`` holds, in archive order: everything in scope
    under it (the whole scope for the shared collection itself)."""
    documents = documents_in_scope(link)
    if folder.pk != link.collection_id:
        documents = documents.filter(collection__path__startswith=folder.path)
    return documents.order_by("collection__path", "title", "pk")


def zip_folders(link, folder: Collection) -> list:
    """The folders a ZIP of ``folder`` lays out (empty ones included)."""
    if link.include_descendants:
        return list(folder.get_descendants(inclusive=True))
    return [folder]


@dataclass(frozen=True)
class ZipSize:
    total: int
    cap: int

    @property
    def allowed(self) -> bool:
        return self.total <= self.cap


def zip_size(documents: QuerySet, policy) -> ZipSize:
    """The ZIP's total file size against the policy's cap (``zip_max_mb``): a ZIP over
    the cap is refused before a byte is streamed."""
    total = documents.aggregate(total=Sum("file_size"))["total"] or 0
    return ZipSize(total=total, cap=policy.zip_max_mb * 1024 * 1024)
