"""Words that match what an emailed code proves: that the visitor could read one
mailbox at one moment (docs/security.md, *What an emailed code proves*).

NIST SP 800-63B-4 says email SHALL NOT be used for out-of-band authentication, and
OWASP ASVS 5.0 (6.3.6) agrees, so no page, email, translation or document calls the
code a factor, "two-factor", "MFA" or "authentication", nor says it verifies who
someone is. The shipped templates, the French catalogue, the code email and the
invitation as the package sends them, the README and the user docs are scanned.

``ALLOWED`` lists the few passages where such a word is right: a name that is not
ours (an email header), the API's own token authentication, and the sentences of
docs/security.md that say why the code is *not* authentication. Each entry must still
be found, so a stale one fails too.
"""

import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import translation

import wagtail_securelink
from tests.factories import make_document, make_link
from tests.helpers import request_code, send_code_url
from wagtail_securelink.tasks import background as delivery

pytestmark = pytest.mark.django_db

PACKAGE = Path(wagtail_securelink.__file__).resolve().parent
REPO = Path(__file__).resolve().parent.parent
TEMPLATES = PACKAGE / "templates"
FRENCH_PO = PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "django.po"
ALICE = "alice@example.com"

# English and French; case-insensitive.
FORBIDDEN = re.compile(
    r"two[- ]?factor|multi[- ]?factor|\bfactors?\b|\b2fa\b|\bmfa\b"
    r"|authenticat\w*|authentifi\w*|\bfacteurs?\b"
    r"|verify your identity|who you are|votre identité",
    re.IGNORECASE,
)

# (path relative to the repository, passage): the passage is removed before scanning.
ALLOWED = [
    # A header that receiving mail servers add; the name is the standard's.
    ("docs/deployment.md", "`Authentication-Results`"),
    # The REST API's bearer tokens are site credentials, not the emailed code.
    ("docs/api.md", "every authenticated call per token"),
    # Why the code is not authentication (docs/security.md).
    ("docs/security.md", "An emailed code is not an authenticator"),
    ("docs/security.md", "SHALL NOT be used for out-of-band authentication"),
    ("docs/security.md", "neither single-factor nor multi-factor authentication"),
    ("docs/security.md", "800-63B-4 requirement for authentication"),
    ("docs/security.md", "These links are not an authentication system"),
]


def _hits(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        found += [
            f"{m.group(0)!r} in: {line.strip()}" for m in FORBIDDEN.finditer(line)
        ]
    return found


def _scan(label: str, text: str) -> list[str]:
    for path, passage in ALLOWED:
        if path == label:
            # A passage may be wrapped over several lines of Markdown.
            pattern = r"\s+".join(map(re.escape, passage.split()))
            text, found = re.subn(pattern, "", text)
            assert found, f"stale ALLOWED entry for {path}: {passage!r}"
    return [f"{label}: {hit}" for hit in _hits(text)]


def test_the_forbidden_words_are_caught():
    """The scanner itself, on one sentence per word it must refuse."""
    for sentence in [
        "Two-factor authentication for visitors",
        "Enter your 2FA code",
        "A second factor by email",
        "MFA",
        "Authenticate with the code",
        "Verify your identity",
        "Double authentification",
        "Authentification à deux facteurs",
        "Vérifiez votre identité",
    ]:
        assert _hits(sentence), sentence
    assert not _hits("A code that proves you can read this mailbox")


def test_shipped_templates():
    paths = sorted(p for p in TEMPLATES.rglob("*") if p.is_file())
    assert paths
    hits = []
    for path in paths:
        hits += _scan(str(path.relative_to(PACKAGE)), path.read_text(encoding="utf-8"))
    assert not hits, "\n".join(hits)


def test_french_catalogue_msgids_and_msgstrs():
    # Every line but the comments: the msgid, msgid_plural and msgstr lines.
    entries = "\n".join(
        line
        for line in FRENCH_PO.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    )
    hits = _scan("django.po", entries)
    assert not hits, "\n".join(hits)


@pytest.mark.parametrize(
    "name",
    [
        "README.md",
        *sorted(str(p.relative_to(REPO)) for p in (REPO / "docs").glob("*.md")),
    ],
)
def test_readme_and_user_docs(name):
    hits = _scan(name, (REPO / name).read_text(encoding="utf-8"))
    assert not hits, "\n".join(hits)


def _message_text(message) -> str:
    parts = [message.subject, message.body]
    parts += [content for content, _mimetype in message.alternatives]
    return "\n".join(parts)


def test_the_invitation_and_the_code_email_as_sent(client):
    link = make_link(make_document(), [ALICE], send_invitations=True, message="Hello")
    (invitation,) = mail.outbox
    assert "When you open the link, we will email a short code" in invitation.body
    mail.outbox.clear()
    request_code(client, link, ALICE)
    (code_email,) = mail.outbox
    assert "Your code is" in code_email.subject
    hits = _scan("invitation", _message_text(invitation))
    hits += _scan("code email", _message_text(code_email))
    assert not hits, "\n".join(hits)


def test_the_code_email_in_french(client, settings):
    settings.LANGUAGES = [("en", "English"), ("fr", "Français")]
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.middleware.common.CommonMiddleware"),
        "django.middleware.locale.LocaleMiddleware",
    )
    settings.MIDDLEWARE = middleware
    link = make_link(make_document(), [ALICE])
    try:
        client.post(
            send_code_url(link), {"email": ALICE}, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9"
        )
        delivery.flush()
    finally:
        translation.activate(settings.LANGUAGE_CODE)
    (code_email,) = mail.outbox
    assert code_email.subject.startswith("Votre code est ")
    hits = _scan("code email (fr)", _message_text(code_email))
    assert not hits, "\n".join(hits)
