"""What the management commands share: reading their arguments into the values the
service layer takes, with a clear ``CommandError`` (exit 1) for anything it refuses."""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail_securelink.core import languages

__all__ = [
    "validation_message",
    "find_user",
    "default_owner",
    "site_language",
    "end_of_day",
]


def validation_message(error: ValidationError) -> str:
    """One readable line per refused field, e.g. ``recipients: These are not valid …``."""
    if hasattr(error, "error_dict"):
        return "\n".join(
            f"{field}: {' '.join(messages)}"
            for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def find_user(username: str):
    User = get_user_model()
    user = User._default_manager.filter(
        **{User.USERNAME_FIELD: username, "is_active": True}
    ).first()
    if user is None:
        raise CommandError(
            _("There is no active user with the username %(name)r.")
            % {"name": username}
        )
    return user


def default_owner():
    """The only active superuser: the owner of a link made without ``--as``.

    A link needs an owner: the sharer is told about forward attempts, named in the
    invitation and shown in "Created by". Guessing between several superusers would
    name the wrong person, so the command refuses and asks for ``--as``.
    """
    User = get_user_model()
    active = User._default_manager.filter(is_superuser=True, is_active=True)
    superusers = list(active.order_by("pk")[:2])
    if not superusers:
        raise CommandError(
            _(
                "There is no active superuser to record as the link's creator. "
                "Name one with --as USERNAME."
            )
        )
    if len(superusers) > 1:
        raise CommandError(
            _(
                "There are several active superusers: name the link's creator with "
                "--as USERNAME."
            )
        )
    return superusers[0]


def site_language(value: str | None) -> str:
    """``--language``: one of the site's LANGUAGES (``fr-ca`` → ``fr``), or ""."""
    if not value:
        return ""
    language = languages.supported(value)
    if not language:
        raise CommandError(
            _(
                "--language must be one of the site's languages (%(list)s), not %(value)r."
            )
            % {
                "list": ", ".join(code for code, _name in languages.language_choices()),
                "value": value,
            }
        )
    return language


def end_of_day(value: str) -> datetime.datetime:
    """``YYYY-MM-DD`` → the last moment of that day in the current time zone."""
    try:
        day = datetime.datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise CommandError(
            _("--expires must be a date written as YYYY-MM-DD, not %(value)r.")
            % {"value": value}
        ) from None
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time.max),
        timezone.get_current_timezone(),
    )
