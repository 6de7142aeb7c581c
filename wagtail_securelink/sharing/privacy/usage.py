"""Where an item is used: the live pages that link to it, so the editor knows what
making it private would break."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from wagtail.documents import get_document_model
from wagtail.models import Collection, Page, ReferenceIndex

__all__ = ["live_pages_using"]


def live_pages_using(target) -> QuerySet:
    """Live pages that use the document (or a document in the collection's subtree),
    according to Wagtail's reference index."""
    if isinstance(target, Collection):
        documents = get_document_model().objects.filter(
            collection__path__startswith=target.path
        )
        references = ReferenceIndex.get_references_to_in_bulk(documents)
    else:
        references = ReferenceIndex.get_references_to(target)
    page_ids = references.filter(
        base_content_type=ContentType.objects.get_for_model(Page)
    ).values_list("object_id", flat=True)
    return (
        Page.objects.live()
        .filter(pk__in=[int(pk) for pk in page_ids if pk.isdigit()])
        .order_by("title")
    )
