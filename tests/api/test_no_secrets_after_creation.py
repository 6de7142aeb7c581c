"""No API token, link token, link key or password in a log line, an event or a later
answer, over a whole session of API calls, failures included."""

import logging

import pytest

from wagtail_securelink.models import AccessEvent, SecureLinkPolicy, ShareLink

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
REFUSED_PASSWORD = "password-of-a-refused-share"
BAD_TOKEN = "guessed-token-0123456789abcdef"


@pytest.fixture
def every_log_record(caplog):
    """Every record of every logger at DEBUG: the root (where Django's ``django`` and
    ``django.request`` loggers and ours propagate) and, for loggers that do not
    propagate, caplog's handler on them too."""
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.request", "wagtail", "wagtail_securelink"):
        caplog.set_level(logging.DEBUG, logger=name)
    isolated = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    for logger in isolated:
        logger.addHandler(caplog.handler)
    yield caplog
    for logger in isolated:
        logger.removeHandler(caplog.handler)


def test_no_secret_anywhere_after_creation(
    admin_api, token_for, superuser, client, contract, every_log_record
):
    policy = SecureLinkPolicy.load()
    policy.allow_anyone = True
    policy.blocked_domains = "blocked.example"
    policy.save()
    revoked = token_for(superuser, name="old script")
    revoked.token.revoke()
    doc = {"target_type": "document", "target_id": contract.pk}

    # The two answers that may carry a link's URL: the shares themselves.
    anyone = admin_api.post(
        "/links/", {**doc, "audience": "anyone", "password": PASSWORD}
    )
    specific = admin_api.post(
        "/links/",
        {**doc, "recipients": ["alice@example.com"], "send_invitations": True},
    )
    assert anyone.status_code == specific.status_code == 201
    urls = [anyone.json()["url"], specific.json()["url"]]
    anyone_id, specific_id = anyone.json()["id"], specific.json()["id"]
    alice = specific.json()["recipients"][0]["id"]

    later = [
        admin_api.get(f"/links/{anyone_id}/"),
        admin_api.get("/links/", {"audience": "anyone"}),
        admin_api.get("/links/"),
        admin_api.post(
            f"/links/{specific_id}/recipients/", {"recipients": ["bob@example.org"]}
        ),
        admin_api.post(f"/links/{specific_id}/recipients/{alice}/resend/"),
        admin_api.patch(
            f"/links/{specific_id}/", {"expires_at": "2099-01-31T17:00:00+00:00"}
        ),
        admin_api.post(f"/links/{specific_id}/revoke/"),
        admin_api.post("/links/revoke/", {"ids": [anyone_id, 999999]}),
        # Failures: a guessed token, a revoked one, two refusals (one with a password).
        client.get(
            "/api/v3/securelink/links/", HTTP_AUTHORIZATION=f"Bearer {BAD_TOKEN}"
        ),
        revoked.get(f"/links/{anyone_id}/"),
        admin_api.post("/links/", {**doc, "recipients": ["eve@blocked.example"]}),
        admin_api.post(
            "/links/",
            {**doc, "recipients": ["dan@example.com"], "password": REFUSED_PASSWORD},
        ),
        admin_api.get("/events/"),
        admin_api.get("/events/csv/"),
    ]
    statuses = [response.status_code for response in later]
    assert statuses == [200] * 8 + [401, 401, 422, 422, 200, 200], statuses

    links = ShareLink.objects.filter(pk__in=[anyone_id, specific_id])
    secrets = {
        "the API token": admin_api.secret,
        "a revoked API token": revoked.secret,
        "a guessed API token": BAD_TOKEN,
        "the password": PASSWORD,
        "a refused share's password": REFUSED_PASSWORD,
        **{f"link {link.pk}'s key": link.key for link in links},
        **{f"link {link.pk}'s token": link.token for link in links},
        **{
            f"URL {n}'s token": url.rstrip("/").rsplit("/", 1)[-1]
            for n, url in enumerate(urls)
        },
    }
    # The URLs' tokens are the links' tokens (the key plus an HMAC): 9 secrets.
    assert len(secrets) == 11 and len(set(secrets.values())) == 9

    bodies = [
        b"".join(r.streaming_content) if r.streaming else r.content for r in later
    ]
    answers = [
        body.decode() + repr(sorted(response.items()))
        for body, response in zip(bodies, later, strict=True)
    ]
    events = [repr(row) for row in AccessEvent.objects.values()]
    records = every_log_record.records
    lines = [f"{r.name} {r.getMessage()} {r.msg!r} {r.args!r}" for r in records] + [
        every_log_record.text
    ]
    # The capture works: Django logged the refusals (with their paths) and we saw them.
    assert any(
        r.name == "django.request" and r.levelno == logging.WARNING for r in records
    )
    assert len(events) > 8
    for what, secret in secrets.items():
        for place, texts in (
            ("a later answer", answers),
            ("an event", events),
            ("a log line", lines),
        ):
            leaks = [text for text in texts if secret in text]
            assert not leaks, f"{what} in {place}: {leaks[0][:300]}"
