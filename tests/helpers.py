"""Helpers that drive the visitor flow through Django's test client."""

import re

from django.core import mail
from django.urls import reverse

CODE_RE = re.compile(r"Your code is (\d{6,10})")
ALICE = "alice@example.com"


def landing_url(link):
    return reverse("wagtail_securelink:landing", args=[link.token])


def visitor_url(name, link, *args):
    """The URL of the visitor view ``name`` of ``link`` (a folder, a document…)."""
    return reverse(f"wagtail_securelink:{name}", args=[link.token, *args])


def send_code_url(link):
    return reverse("wagtail_securelink:send_code", args=[link.token])


def enter_code_url(link):
    return reverse("wagtail_securelink:enter_code", args=[link.token])


def download_url(link):
    return reverse("wagtail_securelink:download", args=[link.token])


def view_url(link):
    return reverse("wagtail_securelink:view_file", args=[link.token])


def last_code(to: str) -> str:
    """The code in the newest email sent to ``to``."""
    for message in reversed(mail.outbox):
        if to in message.to:
            match = CODE_RE.search(message.body)
            if match:
                return match.group(1)
    raise AssertionError(f"no code email to {to}")


def request_code(client, link, email):
    """Ask for a code; wait for the email when it went to the background thread (a
    transactional test, a live server in this process)."""
    from wagtail_securelink.tasks import background as delivery

    response = client.post(send_code_url(link), {"email": email})
    delivery.flush()
    return response


def verify(client, link, email):
    """Ask for a code as ``email`` and enter it; returns the verification response."""
    request_code(client, link, email)
    return client.post(enter_code_url(link), {"code": last_code(email)})


def verified(client, link, email=ALICE):
    """``client`` after ``email`` verified on ``link``."""
    assert verify(client, link, email).status_code == 303
    return client


def press_open(client, link):
    """The visitor presses "Open" on a link with an open limit (anyone, organization):
    the open is taken on that POST, never on a GET."""
    response = client.post(visitor_url("open", link))
    assert response.status_code in (303, 403), response.status_code
    return response
