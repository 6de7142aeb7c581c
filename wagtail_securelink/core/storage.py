"""The one storage for every file the package writes itself: earlier versions of
documents and the unwatermarked page renders of view-only links (with their notes).

These files are private by construction: they never go to the site's default storage,
whose folder (``MEDIA_ROOT``) or bucket a web server or a bucket policy may publish,
and a file's unguessable name is not what keeps it private. Only the package's own
views read them, after a link's or an editor's checks, and they read the bytes: no URL
of this storage is ever handed out.

The storage is ``STORAGES[WAGTAIL_SECURELINK_STORAGE]`` (``"securelink"`` by default).
A site that defines no such alias gets a :class:`PrivateFileSystemStorage` in the
folder ``securelink_private`` beside ``MEDIA_ROOT`` (``/srv/site/media`` gives
``/srv/site/securelink_private``): outside anything that serves media, with no URL. The
system checks ``wagtail_securelink.E009`` and ``W009`` (``checks/exposure.py``) refuse
an alias that does not exist and warn about a storage that would publish the files.
"""

import os
from functools import lru_cache

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage, storages

from wagtail_securelink.conf import DEFAULTS, settings

__all__ = [
    "FALLBACK_FOLDER",
    "PrivateFileSystemStorage",
    "private_storage",
    "fallback_location",
    "uses_fallback",
]

FALLBACK_FOLDER = "securelink_private"


class PrivateFileSystemStorage(FileSystemStorage):
    """A folder on disk whose files have no URL.

    Django's ``FileSystemStorage`` with ``base_url=None`` still answers ``url()`` with
    ``MEDIA_URL``; this one refuses, so no template or integration can ever publish a
    private file by asking for its URL. Without ``location`` it is the folder beside
    ``MEDIA_ROOT`` (:func:`fallback_location`), never ``MEDIA_ROOT`` itself.
    """

    def __init__(self, location=None, **kwargs):
        if location is None:
            location = fallback_location()
        super().__init__(location=location, **kwargs)

    def url(self, name):
        raise NotImplementedError(
            "The private storage of wagtail-securelink has no URL: its files are read "
            "and sent by the package's views only."
        )


def uses_fallback() -> bool:
    """Whether ``WAGTAIL_SECURELINK_STORAGE`` is at its default and ``STORAGES`` has
    no such alias: the package then uses the folder beside ``MEDIA_ROOT``."""
    alias = settings.STORAGE
    return alias == DEFAULTS["STORAGE"] and alias not in django_settings.STORAGES


def fallback_location() -> str:
    """The folder ``securelink_private`` beside ``MEDIA_ROOT``. Raises
    ``ImproperlyConfigured`` when ``MEDIA_ROOT`` is not set: "beside the current
    directory" is no place a deployment chose."""
    if not django_settings.MEDIA_ROOT:
        raise ImproperlyConfigured(
            "MEDIA_ROOT is not set: configure STORAGES['securelink'] for the private "
            "files of wagtail-securelink."
        )
    media = os.path.abspath(os.fspath(django_settings.MEDIA_ROOT))
    return os.path.join(os.path.dirname(media), FALLBACK_FOLDER)


@lru_cache(maxsize=4)
def _fallback(location: str) -> PrivateFileSystemStorage:
    return PrivateFileSystemStorage(location=location)


def private_storage() -> Storage:
    """The storage of the package's private files (see the module's docstring).

    Raises ``InvalidStorageError`` when ``WAGTAIL_SECURELINK_STORAGE`` was set to an
    alias that ``STORAGES`` does not define: an operator who named a storage (a bucket
    shared by every app host) must not find the files on one host's disk instead.
    """
    if uses_fallback():
        return _fallback(fallback_location())
    return storages[settings.STORAGE]
