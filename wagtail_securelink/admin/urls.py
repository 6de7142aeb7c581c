"""Admin URLs, mounted by ``wagtail_hooks`` under Wagtail's admin.

``urlpatterns`` are our own pages, under ``securelink/`` (namespace
``wagtail_securelink_admin``). ``document_urlpatterns`` front three of Wagtail's
``documents/`` paths with subclasses of Wagtail's views that add the Share button; see
``views/admin.py`` for why, and why ``reverse("wagtaildocs:…")`` is unaffected. The
Shared links area and the activity report are Wagtail viewsets / report views,
registered in ``wagtail_hooks``.
"""

from django.urls import path

from wagtail_securelink.admin.reports import ActivityReportView
from wagtail_securelink.admin.views import buttons as admin
from wagtail_securelink.admin.views import (
    export,
    link_actions,
    manage,
    people,
    privacy,
    share,
    versions,
)
from wagtail_securelink.admin.views import requests as access_request_views

app_name = "wagtail_securelink_admin"

urlpatterns = [
    path(
        "documents/<int:document_id>/share/",
        share.ShareDocumentView.as_view(),
        name="share_document",
    ),
    path(
        "documents/<int:document_id>/access/",
        manage.ManageDocumentAccessView.as_view(),
        name="manage_document",
    ),
    path("collections/", share.CollectionListView.as_view(), name="collections"),
    path(
        "collections/<int:collection_id>/share/",
        share.ShareCollectionView.as_view(),
        name="share_collection",
    ),
    path(
        "collections/<int:collection_id>/access/",
        manage.ManageCollectionAccessView.as_view(),
        name="manage_collection",
    ),
    path(
        "documents/<int:document_id>/make-public/",
        privacy.MakeDocumentPublicView.as_view(),
        name="make_document_public",
    ),
    path(
        "documents/<int:document_id>/make-private/",
        privacy.MakeDocumentPrivateView.as_view(),
        name="make_document_private",
    ),
    path(
        "collections/<int:collection_id>/make-public/",
        privacy.MakeCollectionPublicView.as_view(),
        name="make_collection_public",
    ),
    path(
        "collections/<int:collection_id>/make-private/",
        privacy.MakeCollectionPrivateView.as_view(),
        name="make_collection_private",
    ),
    path(
        "pages/<int:page_id>/share/",
        share.SharePageView.as_view(),
        name="share_page",
    ),
    path(
        "pages/<int:page_id>/access/",
        manage.ManagePageAccessView.as_view(),
        name="manage_page",
    ),
    path("activity/", ActivityReportView.as_view(), name="activity"),
    path(
        "activity/results/",
        ActivityReportView.as_view(results_only=True),
        name="activity_results",
    ),
    path(
        "links/<int:link_id>/shared/",
        share.ShareResultView.as_view(),
        name="share_result",
    ),
    path(
        "links/<int:link_id>/revoke/",
        link_actions.RevokeLinkView.as_view(),
        name="revoke",
    ),
    path(
        "links/<int:link_id>/expiry/",
        link_actions.ChangeExpiryView.as_view(),
        name="change_expiry",
    ),
    path(
        "links/<int:link_id>/recipients/",
        link_actions.AddRecipientsView.as_view(),
        name="add_recipients",
    ),
    path(
        "recipients/<int:recipient_id>/remove/",
        link_actions.RemoveRecipientView.as_view(),
        name="remove_recipient",
    ),
    path(
        "recipients/<int:recipient_id>/resend/",
        link_actions.ResendInvitationView.as_view(),
        name="resend_invitation",
    ),
    path(
        "recipients/<int:recipient_id>/unlock/",
        link_actions.UnlockRecipientView.as_view(),
        name="unlock_recipient",
    ),
    path(
        "recipients/<int:recipient_id>/access-end/",
        link_actions.RecipientAccessEndView.as_view(),
        name="recipient_access_end",
    ),
    path("people/person/", people.PersonView.as_view(), name="person"),
    path(
        "requests/<str:signed>/",
        access_request_views.AccessRequestView.as_view(),
        name="access_request",
    ),
    path("people/action/", people.PersonActionView.as_view(), name="person_action"),
    path("access-now/", export.AccessExportView.as_view(), name="access_export"),
    path(
        "versions/<int:version_id>/download/",
        versions.DownloadVersionView.as_view(),
        name="download_version",
    ),
    path(
        "versions/<int:version_id>/restore/",
        versions.RestoreVersionView.as_view(),
        name="restore_version",
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
