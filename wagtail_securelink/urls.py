from django.urls import path, re_path

from wagtail_securelink.visitor import (
    comments,
    content,
    files,
    gates,
    passkeys,
    upload,
    viewer,
)
from wagtail_securelink.visitor import landing as visitor

app_name = "wagtail_securelink"

# Every view below takes the link token first and resolves it itself
# (``views.decorators.link_view``, S1): this module only maps URLs.

urlpatterns = [
    # Verification (SPEC §3)
    path("<str:token>/", visitor.landing, name="landing"),
    path("<str:token>/code/send/", visitor.send_code, name="send_code"),
    path("<str:token>/code/", visitor.enter_code, name="enter_code"),
    path("<str:token>/password/", visitor.password, name="password"),
    path("<str:token>/sign-out/", visitor.sign_out, name="sign_out"),
    path("<str:token>/sign-in/", visitor.sign_in, name="sign_in"),
    # Passkeys instead of a code (JSON, called by passkeys.js)
    path(
        "<str:token>/passkey/save/options/",
        passkeys.register_begin,
        name="passkey_register_begin",
    ),
    path(
        "<str:token>/passkey/save/",
        passkeys.register_finish,
        name="passkey_register_finish",
    ),
    path(
        "<str:token>/passkey/options/",
        passkeys.sign_in_begin,
        name="passkey_sign_in_begin",
    ),
    path("<str:token>/passkey/", passkeys.sign_in_finish, name="passkey_sign_in"),
    # "Didn't get a code? Ask the person who shared this"
    path("<str:token>/ask/", visitor.ask, name="ask_access"),
    # A document link
    path("<str:token>/download/", files.document_file, name="download"),
    path(
        "<str:token>/view/",
        files.document_file,
        {"inline": True},
        name="view_file",
    ),
    path("<str:token>/replace/", upload.replace, name="replace"),
    # A page preview's comments
    path("<str:token>/comment/", comments.comment, name="comment"),
    # Terms to accept and rendered pages
    path("<str:token>/terms/", gates.accept_terms, name="accept_terms"),
    path("<str:token>/open/", gates.open_item, name="open"),
    path("<str:token>/page/<int:number>/", viewer.page_image, name="page_image"),
    path(
        "<str:token>/d/<int:document_id>/page/<int:number>/",
        viewer.page_image,
        name="collection_page_image",
    ),
    # A collection link (SPEC §4)
    path("<str:token>/zip/", files.download_zip, name="zip"),
    path("<str:token>/upload/", upload.upload, name="upload"),
    path("<str:token>/f/<int:folder_id>/", content.folder, name="folder"),
    path("<str:token>/f/<int:folder_id>/zip/", files.download_zip, name="folder_zip"),
    path("<str:token>/f/<int:folder_id>/upload/", upload.upload, name="folder_upload"),
    path(
        "<str:token>/d/<int:document_id>/",
        content.collection_document,
        name="collection_document",
    ),
    path(
        "<str:token>/d/<int:document_id>/download/",
        files.collection_file,
        name="collection_download",
    ),
    path(
        "<str:token>/d/<int:document_id>/view/",
        files.collection_file,
        {"inline": True},
        name="collection_view_file",
    ),
    path(
        "<str:token>/d/<int:document_id>/replace/",
        upload.replace,
        name="collection_replace",
    ),
    # Everything else under the prefix: our 404 page with the S10 headers.
    re_path(r"^(?P<rest>.*)$", visitor.not_found, name="not_found"),
]
