"""Admin URLs, mounted by ``wagtail_hooks`` under Wagtail's admin.

``urlpatterns`` are our own pages, under ``securelink/`` (namespace
``wagtail_securelink_admin``). ``document_urlpatterns`` front three of Wagtail's
``documents/`` paths with subclasses of Wagtail's views that add the Share button; see
``views/admin.py`` for why, and why ``reverse("wagtaildocs:…")`` is unaffected.
"""

from django.urls import path

from .views import admin

app_name = "wagtail_securelink_admin"

urlpatterns = [
    path(
        "documents/<int:document_id>/share/",
        admin.ShareDocumentView.as_view(),
        name="share_document",
    ),
    path(
        "links/<int:link_id>/shared/",
        admin.ShareResultView.as_view(),
        name="share_result",
    ),
]

# The same paths (and converters) as in wagtail/documents/admin_urls.py.
document_urlpatterns = [
    path("", admin.DocumentIndexView.as_view(), name="index"),
    path(
        "results/",
        admin.DocumentIndexView.as_view(results_only=True),
        name="index_results",
    ),
    path("edit/<int:document_id>/", admin.DocumentEditView.as_view(), name="edit"),
]
DOCUMENTS_NAMESPACE = "wagtail_securelink_documents"
