"""Each recipient's language.

The sharer picks it on the share form (the sharer's own language by default); for a
recipient added without one (the command line, the API), the visitor's browser
(``Accept-Language``) decides on their first visit. Every email to a recipient is then
written in it, whichever process sends it: the request, the delivery thread, or a task
worker, whose own active language is only the site's default.
"""

from contextlib import AbstractContextManager

from django.conf import settings as django_settings
from django.utils import translation

__all__ = [
    "language_choices",
    "supported",
    "sharer_language",
    "visitor_language",
    "remember_visitor_language",
    "for_recipient",
    "for_user",
    "override_for",
]


def language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in django_settings.LANGUAGES]


def supported(code: str | None) -> str:
    """The site's variant of ``code`` (``fr-ca`` → ``fr``), or "" when it has none."""
    if not code:
        return ""
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return ""


def sharer_language() -> str:
    """The language the admin is shown in (Wagtail activates the user's preference)."""
    return supported(translation.get_language()) or django_settings.LANGUAGE_CODE


def visitor_language(request) -> str:
    """The language the browser asks for, if it asks and the site has it, else "".

    Only when the browser says which it wants: a client without ``Accept-Language``
    (a link scanner, a script) must not decide for the person.
    """
    if request is None or not request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return ""
    return supported(translation.get_language_from_request(request)) or ""


def remember_visitor_language(recipient, language: str) -> None:
    """Store ``language`` (``visitor_language``) for a recipient who has none yet."""
    if recipient is None or recipient.language or not language:
        return
    # Conditional: a language stored meanwhile (by the sharer) is kept.
    type(recipient)._default_manager.filter(pk=recipient.pk, language="").update(
        language=language
    )
    recipient.language = language


def for_recipient(recipient) -> str:
    """The language of every email to ``recipient``: theirs, else the site's default
    (never the active language of whichever process happens to send it)."""
    return (
        supported(getattr(recipient, "language", "")) or django_settings.LANGUAGE_CODE
    )


def override_for(recipient) -> AbstractContextManager:
    return translation.override(for_recipient(recipient))


def for_user(user) -> str:
    """The language of every email to a site user (a sharer, a reviewer): the one they
    chose in their Wagtail account settings, else the site's default.

    Read without creating their profile row, and never the active language of the
    process that sends (a task worker's is only the site's default, a request's is
    whoever triggered the email).
    """
    if getattr(user, "pk", None) is None:
        return django_settings.LANGUAGE_CODE
    # Wagtail's models, imported when first needed: this module loads before apps do.
    from wagtail.users.models import UserProfile

    chosen = (
        UserProfile.objects.filter(user_id=user.pk)
        .values_list("preferred_language", flat=True)
        .first()
    )
    return supported(chosen) or django_settings.LANGUAGE_CODE
