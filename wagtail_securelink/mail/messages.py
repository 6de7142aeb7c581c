"""Email building. Override the templates by path, or subclass ``SecureLinkEmails`` and
name it in ``WAGTAIL_SECURELINK_EMAIL_CLASS``."""

import email.message
import logging
from email.utils import formataddr, make_msgid, parseaddr

import django
from django.conf import settings as django_settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

from wagtail_securelink.conf import settings
from wagtail_securelink.core import languages

__all__ = ["SecureLinkEmailMessage", "SecureLinkEmails", "get_emails", "header_safe"]

logger = logging.getLogger(__name__)

# RFC 5322 §2.1.1: a line of a message may not exceed 998 characters.
MAX_LINE_LENGTH = 998


class SecureLinkEmailMessage(EmailMultiAlternatives):
    """An email whose text parts go out as 8bit, so a link stays on one line.

    Django 6 builds messages with Python's ``email.message.EmailMessage``, which sends
    a text part quoted-printable as soon as one line is longer than 78 characters or
    the text is not ASCII: the link in an invitation is then cut by ``=`` soft line
    breaks, in the console backend and in mail clients that show the source. Django
    5.2 sent UTF-8 text as 8bit up to 998 characters a line; this restores that.
    """

    def message(self, **kwargs):
        msg = super().message(**kwargs)
        if django.VERSION >= (6, 0):
            for part in msg.walk():
                as_8bit(part)
        return msg


def as_8bit(part) -> None:
    if (
        not isinstance(part, email.message.MIMEPart)
        or part.get_content_maintype() != "text"
        or part.is_attachment()
        or part.get("Content-Transfer-Encoding", "").lower()
        not in ("quoted-printable", "base64")
    ):
        return
    text = part.get_content()
    if any(len(line.encode()) > MAX_LINE_LENGTH for line in text.splitlines()):
        return  # quoted-printable is then the right encoding
    part.set_content(
        text,
        subtype=part.get_content_subtype(),
        charset=part.get_content_charset() or "utf-8",
        cte="8bit",
    )


def header_safe(value: str) -> str:
    """Collapse whitespace so that no CR/LF (or other control character) reaches a header (S13)."""
    return " ".join(
        "".join(ch if ch.isprintable() else " " for ch in str(value)).split()
    )


def site_name() -> str:
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).only("site_name").first()
    return (site.site_name if site and site.site_name else "") or getattr(
        django_settings, "WAGTAIL_SITE_NAME", ""
    )


def sender(name: str) -> str:
    """``DEFAULT_FROM_EMAIL``, with the site's name shown when the setting has none
    (``"Intranet" <noreply@example.org>``): receiving servers and people both trust
    a sender they can name."""
    from_email = django_settings.DEFAULT_FROM_EMAIL
    display, address = parseaddr(from_email)
    if display or not name or not address:
        return from_email
    return formataddr((header_safe(name), address))


def sender_address() -> str:
    """The bare address of ``DEFAULT_FROM_EMAIL``, without its display name."""
    return parseaddr(django_settings.DEFAULT_FROM_EMAIL)[1]


def automatic_headers() -> dict:
    """Headers of a message a program sends (RFC 3834 ``Auto-Submitted``: no
    out-of-office reply comes back), with a ``Message-ID`` on the sender's own domain,
    which spam filters expect, rather than on this server's host name."""
    domain = sender_address().rpartition("@")[2] or None
    return {"Auto-Submitted": "auto-generated", "Message-ID": make_msgid(domain=domain)}


class SecureLinkEmails:
    template_dir = "wagtail_securelink/emails"

    def render(
        self, name: str, context: dict, to: str, reply_to: str = "", recipient=None
    ) -> SecureLinkEmailMessage:
        """Render one email; to a ``recipient``, in their language (``languages``)."""
        if recipient is not None:
            with languages.override_for(recipient):
                return self.render(name, context, to, reply_to)
        context = {"site_name": site_name(), **context}
        subject = header_safe(
            render_to_string(f"{self.template_dir}/{name}_subject.txt", context)
        )
        text = render_to_string(f"{self.template_dir}/{name}.txt", context)
        html = render_to_string(f"{self.template_dir}/{name}.html", context)
        message = SecureLinkEmailMessage(
            subject=subject,
            body=text,
            from_email=sender(context["site_name"]),
            to=[to],
            reply_to=[header_safe(reply_to)] if reply_to else None,
            headers=automatic_headers(),
        )
        message.attach_alternative(html, "text/html")
        return message

    def sharer_context(self, link) -> dict:
        user = link.created_by
        name = ""
        if user is not None:
            name = header_safe(user.get_full_name() or user.get_username())
        return {"sharer_name": name, "sharer_email": getattr(user, "email", "") or ""}

    def invitation(self, link, recipient, url: str) -> EmailMultiAlternatives:
        context = {
            "link": link,
            "recipient": recipient,
            "url": url,
            **self.sharer_context(link),
        }
        return self.render(
            "invitation",
            context,
            recipient.email,
            context["sharer_email"],
            recipient=recipient,
        )

    def code(self, link, recipient, code: str, lifetime_minutes: int, url: str):
        context = {
            "link": link,
            "recipient": recipient,
            "code": code,
            "lifetime_minutes": lifetime_minutes,
            "url": url,
        }
        return self.render("code", context, recipient.email, recipient=recipient)

    def account_sign_in(self, link, recipient, url: str, login_url: str):
        context = {
            "link": link,
            "recipient": recipient,
            "url": url,
            "login_url": login_url,
        }
        return self.render(
            "account_sign_in", context, recipient.email, recipient=recipient
        )

    def send(self, message: EmailMultiAlternatives) -> None:
        # Through the site's EMAIL_BACKEND; ``mail.smtp.EmailBackend`` keeps its SMTP
        # connection open between messages, for workers that send bursts of codes.
        message.send(fail_silently=False)


def get_emails() -> SecureLinkEmails:
    dotted = settings.EMAIL_CLASS
    return import_string(dotted)() if dotted else SecureLinkEmails()
