"""S13: fuzzed tokens, addresses, codes, passwords, filenames, upload bodies and query
strings (NUL, 10 kB strings, emoji, CR/LF, full-width digits) through the real views
never give a 500, and no CR/LF reaches an email header.

Each ``@given`` test shares its function-scoped fixtures between examples (the
health check is suppressed on purpose) and resets what leaks between them: the rate
limit counters, the mail outbox and the browser.
"""

import email
import email.policy
import io
import itertools
from urllib.parse import quote

import pytest
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.factories import make_collection, make_link, make_user
from tests.helpers import enter_code_url, last_code, request_code, send_code_url, verify
from tests.security.conftest import ALICE
from wagtail_securelink import services
from wagtail_securelink.models import Grant, RateCounter

pytestmark = pytest.mark.django_db

ALLOWED = {200, 302, 303, 400, 403, 404, 405, 410, 429}
# Line breaks as ``str.splitlines`` sees them, and the other C0/C1 controls that an
# email header must not carry.
BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"

NASTY_PIECES = [
    "\x00",
    "\r\n",
    "\r",
    "\n",
    "\r\nBcc: victim@example.com",
    "\u2028",
    "\x85",
    "😀",
    "👩‍👩‍👧",
    "１２３４５６",  # full-width digits
    "٤٥٦",  # Arabic-Indic digits
    "\u202e",  # right-to-left override
    "\ufeff",
    "%00",
    "%0d%0a",
    "../",
    "..\\",
    "<script>alert(1)</script>",
    "'\"",
    "{{ code }}",
    "%(code)s",
    "İ",
    "ß",
    "\udcff",  # a lone surrogate
]
nasty_text = st.one_of(
    st.text(max_size=40),
    st.lists(
        st.one_of(st.sampled_from(NASTY_PIECES), st.text(max_size=8)), max_size=6
    ).map("".join),
    st.sampled_from(["x" * 10_240, "😀" * 2_600, "\x00" * 10_240, "1" * 10_240]),
)

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _fresh():
    for cache in caches.all():
        cache.clear()
    RateCounter.objects.all().delete()  # the limits' store without a shared cache
    mail.outbox = []


def _encodable(value: str) -> str:
    # A lone surrogate cannot leave a real browser: replace it as the browser would.
    return value.encode("utf-8", "replace").decode("utf-8")


def _assert_ok(response):
    assert response.status_code in ALLOWED, response.status_code
    return response


def _url(name, token, *args):
    return reverse(f"wagtail_securelink:{name}", args=["T", *args]).replace(
        "/T/", "/" + quote(_encodable(token), safe="") + "/", 1
    )


# -- tokens ---------------------------------------------------------------------------------


@FUZZ
@given(
    fuzz=nasty_text,
    where=st.integers(min_value=0, max_value=40),
    route=st.sampled_from(
        ["landing", "send_code", "enter_code", "password", "download", "view_file"]
    ),
)
@example(fuzz="", where=0, route="landing")
def test_fuzzed_tokens(any_link, fuzz, where, route):
    """S13: a token with anything spliced in answers like an unknown link, never 500."""
    link = any_link
    _fresh()
    token = link.token[:where] + fuzz + link.token[where + 1 :]
    path = _url(route, token)
    client = Client()
    _assert_ok(client.get(path))
    _assert_ok(client.post(path, {"email": ALICE, "code": "123456", "password": "x"}))
    assert not Grant.objects.exists()


# -- addresses, codes, passwords -----------------------------------------------------------


@FUZZ
@given(address=nasty_text)
@example(address="ALICE@EXAMPLE.COM\r\nBcc: victim@example.com")
@example(address="alice@exa\x00mple.com")
def test_fuzzed_addresses(any_link, address):
    """S13: whatever is typed as the address, the answer is a page, and a code is
    only ever mailed to a stored recipient address."""
    link = any_link
    _fresh()
    _assert_ok(Client().post(send_code_url(link), {"email": _encodable(address)}))
    for message in mail.outbox:
        assert message.to == [ALICE] or message.to == [link.created_by.email]


@FUZZ
@given(code=nasty_text)
@example(code="１２３４５６")
@example(code="123456\x00")
def test_fuzzed_codes(any_link, code):
    """S13 (and S2): any typed code gives a page; only the exact ASCII code opens a grant."""
    link = any_link
    _fresh()
    client = Client()
    request_code(client, link, ALICE)
    right = last_code(ALICE) if mail.outbox else None
    response = _assert_ok(client.post(enter_code_url(link), {"code": _encodable(code)}))
    opened = response.status_code == 303
    assert opened == Grant.objects.filter(ended_at__isnull=True).exists()
    if opened:
        assert code.replace(" ", "").replace("-", "") == right
        Grant.objects.all().delete()


@pytest.fixture
def password_link(document):
    return make_link(document, audience="anyone", password="correct horse")


@FUZZ
@given(password=nasty_text)
@example(password="correct horse\x00")
@example(password="ｃｏｒｒｅｃｔ ｈｏｒｓｅ")
def test_fuzzed_passwords(password_link, password):
    """S13: any typed password gives a page; only the right one opens a grant."""
    _fresh()
    response = _assert_ok(
        Client().post(
            _url("password", password_link.token), {"password": _encodable(password)}
        )
    )
    assert (response.status_code == 303) == (password == "correct horse")
    Grant.objects.all().delete()


# -- uploads and listings -------------------------------------------------------------------


@pytest.fixture
def upload_browser(root_collection):
    """A verified browser on an ``edit`` link to a collection (the grant outlives examples)."""
    folder = make_collection("Inbox")
    link = make_link(folder, [ALICE], role="edit")
    client = Client()
    assert verify(client, link, ALICE).status_code == 303
    return link, client.cookies


@FUZZ
@given(
    filename=nasty_text,
    body=st.one_of(
        st.binary(max_size=64),
        st.sampled_from([b"\x00" * 10_240, "😀\r\n".encode() * 1000, b""]),
    ),
    title=nasty_text,
)
@example(filename="a\x00.pdf", body=b"%PDF\x00", title="")
@example(filename="../../etc/passwd", body=b"root", title="x")
@example(filename="\r\nContent-Type: text/html.txt", body=b"<b>", title="\r\n")
def test_fuzzed_uploads(upload_browser, filename, body, title):
    """S13: any filename and body uploaded (or sent as a new version) gives a page."""
    _fresh()
    link, cookies = upload_browser
    client = Client()
    client.cookies = cookies
    upload = io.BytesIO(body)
    upload.name = _encodable(filename)  # the browser's filename, unchecked
    _assert_ok(
        client.post(
            _url("upload", link.token), {"file": upload, "title": _encodable(title)}
        )
    )


@FUZZ
@given(q=nasty_text, sort=nasty_text, page=nasty_text, folder=st.integers())
def test_fuzzed_listing_parameters(upload_browser, q, sort, page, folder):
    """S13: search, sort, page and folder ids from the address bar never give a 500."""
    link, cookies = upload_browser
    client = Client()
    client.cookies = cookies
    params = {"q": _encodable(q), "sort": _encodable(sort), "page": _encodable(page)}
    _assert_ok(client.get(_url("landing", link.token), params))
    if -(2**63) <= folder < 2**63:
        path = _url("folder", link.token, abs(folder))
        _assert_ok(client.get(path, params))


# -- no CR/LF in an email header ------------------------------------------------------------

_serial = itertools.count()


EXPECTED_HEADERS = {
    "content-type",
    "mime-version",
    "subject",
    "from",
    "to",
    "reply-to",
    "date",
    "message-id",
    "auto-submitted",  # RFC 3834, on every email we send
    "content-transfer-encoding",
}


def _assert_clean_headers(message):
    """Every header of the message as it leaves, decoded and unfolded: no line break,
    and no header that was not meant to be there (``Bcc:`` smuggled in a title)."""
    raw = message.message().as_bytes()  # BadHeaderError on a newline in a header
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert {name.lower() for name in parsed.keys()} <= EXPECTED_HEADERS, parsed.keys()
    for name, value in parsed.items():
        assert not any(ch in str(value) for ch in BREAKS), (name, value)
    for value in (message.subject, *message.to, *message.reply_to):
        assert not any(ch in value for ch in BREAKS), value


header_text = st.lists(
    st.one_of(
        st.sampled_from(
            ["\r\n", "\r", "\n", "\r\nBcc: victim@example.com", "\u2028", "\x85", "😀"]
        ),
        st.text(min_size=1, max_size=8),
    ),
    min_size=1,
    max_size=6,
).map("".join)
# Titles and names are stored by Wagtail and Django, not by this app: drop NUL, which
# PostgreSQL refuses in any text column, so the test runs on both databases.
header_text = header_text.map(lambda text: text.replace("\x00", "") or "x")


@settings(FUZZ, max_examples=15)
@given(title=header_text, first_name=header_text, last_name=header_text)
@example(
    title="Q3 report\r\nBcc: victim@example.com",
    first_name="Eve\r\nCc: all@example.com",
    last_name="\n",
)
def test_no_line_break_reaches_an_email_header(document, title, first_name, last_name):
    """S13: a document title and a sharer's name full of CR/LF (and other line breaks)
    still give one invitation and one code email each, with clean headers."""
    _fresh()
    sharer = make_user(f"sharer{next(_serial)}", superuser=True)
    sharer.first_name, sharer.last_name = first_name[:150], last_name[:150]
    sharer.save()
    document.title = title[:255]
    document.save()
    address = f"guest{next(_serial)}@example.com"
    link = services.create_link(
        target=document, recipients=[address], created_by=sharer, audience="specific"
    )
    assert link.invitations.sent == [address], link.invitations
    assert request_code(Client(), link, address).status_code == 303
    to_guest = [m for m in mail.outbox if m.to == [address]]
    assert len(to_guest) == 2, [m.subject for m in mail.outbox]
    for message in mail.outbox:
        _assert_clean_headers(message)


def test_header_safe_leaves_no_line_break():
    """S13: the one function every header value goes through."""
    from wagtail_securelink.mail.messages import header_safe

    for piece in NASTY_PIECES + list(BREAKS):
        assert not any(ch in header_safe(f"a{piece}b") for ch in BREAKS)


def test_subjects_are_plain_text_not_html(document):
    """S13: a header is plain text: a title with ``&``, quotes or ``<`` is not turned
    into HTML entities (the subject templates render with autoescape off)."""
    document.title = 'R&D "plan" <v2>'
    document.save()
    link = make_link(document, [ALICE], send_invitations=True)
    request_code(Client(), link, ALICE)
    subjects = [m.subject for m in mail.outbox]
    assert subjects[0].endswith('shared "R&D "plan" <v2>" with you'), subjects
    assert not any("&amp;" in s or "&quot;" in s or "&lt;" in s for s in subjects)
