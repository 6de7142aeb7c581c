"""Settings that would open what a link protects to people it does not name: account
addresses nobody proved (W004, S17), documents served by the storage itself (W005,
S16), the package's private files in a storage that is missing (E009) or published
(W009)."""

import os

from django.conf import settings as django_settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage

from wagtail_securelink.conf import settings
from wagtail_securelink.core.paths import DOCS_URL
from wagtail_securelink.core.storage import (
    PrivateFileSystemStorage,
    private_storage,
    uses_fallback,
)

__all__ = [
    "ACCOUNT_ADDRESSES_DOCS",
    "PRIVATE_STORAGE_DOCS",
    "check_account_addresses",
    "check_direct_serve_method",
    "check_private_storage",
    "private_storage_exposures",
]

ACCOUNT_ADDRESSES_DOCS = f"{DOCS_URL}security/#account-addresses"
PRIVATE_STORAGE_DOCS = f"{DOCS_URL}deployment/#the-private-storage"
# Canned ACLs (S3, Google Cloud Storage) under which anyone may read an object.
PUBLIC_ACLS = {"public-read", "public-read-write", "authenticated-read", "publicRead"}


@checks.register(checks.Tags.security)
def check_account_addresses(app_configs, **kwargs):
    """S17: account addresses stand for recipients only where they are proven."""
    if not settings.ACCOUNT_EMAILS_VERIFIED:
        return []
    if getattr(django_settings, "WAGTAIL_EMAIL_MANAGEMENT_ENABLED", True):
        return [
            checks.Warning(
                "WAGTAIL_SECURELINK_ACCOUNT_EMAILS_VERIFIED is True while Wagtail lets "
                "users change their own email address without proving it "
                "(WAGTAIL_EMAIL_MANAGEMENT_ENABLED): any user could type a recipient's "
                "address on their account and open that recipient's links without a code.",
                hint=f"Set WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False, or leave the "
                f"setting False unless addresses are verified elsewhere (single "
                f"sign-on). See {ACCOUNT_ADDRESSES_DOCS}",
                id="wagtail_securelink.W004",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_direct_serve_method(app_configs, **kwargs):
    # With "direct", a document's URL is the storage's own (MEDIA_URL, a bucket), which
    # no Django view answers: private documents (S16) would be public there.
    if getattr(django_settings, "WAGTAILDOCS_SERVE_METHOD", None) == "direct":
        return [
            checks.Warning(
                "WAGTAILDOCS_SERVE_METHOD is 'direct': documents are served by the "
                "storage itself, so documents shared privately or received through a "
                "link stay public at their storage URL.",
                hint="Use 'serve_view' (or 'redirect' with a private bucket and signed "
                f"URLs), see {DOCS_URL}security/#private-documents",
                id="wagtail_securelink.W005",
            )
        ]
    return []


def _inside(path: str, folder) -> bool:
    if not folder:
        return False
    path = os.path.realpath(path)
    folder = os.path.realpath(os.fspath(folder))
    return os.path.commonpath([path, folder]) == folder


def private_storage_exposures(storage, config: dict | None) -> list[str]:
    """What would make the files of ``storage`` public, in words; ``config`` is its
    entry in ``STORAGES`` (``None`` for the folder beside ``MEDIA_ROOT``)."""
    found = []
    default = django_settings.STORAGES.get("default")
    if config is not None and (settings.STORAGE == "default" or config == default):
        found.append("it is the site's default storage, where documents and images go")
    try:
        location = storage.path("")
    except NotImplementedError:  # not on this machine's disk
        location = None
    for name in ("MEDIA_ROOT", "STATIC_ROOT"):
        root = getattr(django_settings, name, None)
        if location is not None and _inside(location, root):
            found.append(f"its folder {location} is inside {name}, which is published")
    # The package never asks this storage for a URL; a storage that has public ones
    # publishes the files to whoever learns a name.
    options = (config or {}).get("OPTIONS", {})
    if options.get("base_url") and not isinstance(storage, PrivateFileSystemStorage):
        found.append(f"it has a public base_url ({options['base_url']})")
    if getattr(storage, "querystring_auth", True) is False:
        found.append("its URLs are not signed (querystring_auth is False)")
    if getattr(storage, "default_acl", None) in PUBLIC_ACLS:
        found.append(f"its files are created {storage.default_acl}")
    if getattr(storage, "custom_domain", None) and not getattr(
        storage, "cloudfront_signer", None
    ):
        found.append("its URLs on custom_domain are not signed")
    bucket = getattr(storage, "bucket_name", None)
    if bucket and config != default and default is not None:
        if getattr(default_storage, "bucket_name", None) == bucket:
            found.append(f"it shares the bucket {bucket} with the default storage")
    return found


@checks.register(checks.Tags.security)
def check_private_storage(app_configs, **kwargs):
    """Earlier versions and unwatermarked renders must be in a storage nothing
    publishes (core/storage.py)."""
    alias = settings.STORAGE
    try:
        storage = private_storage()
    except ImproperlyConfigured as error:
        return [
            checks.Error(
                f"The private storage of wagtail-securelink cannot be used: {error}",
                hint="Define the alias named by WAGTAIL_SECURELINK_STORAGE "
                f"({alias!r}) in STORAGES, or leave the setting unset. See "
                f"{PRIVATE_STORAGE_DOCS}",
                id="wagtail_securelink.E009",
            )
        ]
    config = None if uses_fallback() else django_settings.STORAGES[alias]
    exposures = private_storage_exposures(storage, config)
    if not exposures:
        return []
    name = "the folder beside MEDIA_ROOT" if config is None else f"STORAGES[{alias!r}]"
    return [
        checks.Warning(
            f"The private storage of wagtail-securelink ({name}) would publish earlier "
            "versions and the unwatermarked pages of view-only links: "
            + "; ".join(exposures)
            + ".",
            hint="Give it a folder outside MEDIA_ROOT and STATIC_ROOT, or a private "
            f"bucket of its own with signed URLs. See {PRIVATE_STORAGE_DOCS}",
            id="wagtail_securelink.W009",
        )
    ]
