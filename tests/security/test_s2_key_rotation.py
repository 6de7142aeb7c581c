"""SECRET_KEY rotation: codes, their session binding and the per-address
counters are found under ``SECRET_KEY_FALLBACKS``, as link tokens and grant cookies are."""

from unittest import mock

from django.core import mail
from django.test import override_settings

from tests.helpers import enter_code_url, last_code, request_code, send_code_url
from tests.security.conftest import ALICE, code_mails, wrong_code
from wagtail_securelink.models import AccessEvent, Grant, VerificationCode
from wagtail_securelink.verification import emails as code_emails
from wagtail_securelink.verification import requests as code_requests

OLD_KEY = "tests-secret-key-not-for-production-0123456789abcdef"  # tests/settings.py
NEW_KEY = "the-rotated-secret-key-0123456789-0123456789-abcdef"
ROTATED = {"SECRET_KEY": NEW_KEY, "SECRET_KEY_FALLBACKS": [OLD_KEY]}


def test_a_code_asked_for_before_a_rotation_works_after_it(client, link):
    request_code(client, link, ALICE)
    code = last_code(ALICE)
    with override_settings(**ROTATED):
        response = client.post(enter_code_url(link), {"code": code})
    assert response.status_code == 303
    assert Grant.objects.filter(link=link).count() == 1


def test_a_pending_code_dies_when_its_key_is_dropped(client, link):
    request_code(client, link, ALICE)
    code = last_code(ALICE)
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        response = client.post(enter_code_url(link), {"code": code})
    assert response.status_code != 303
    assert not Grant.objects.exists()


def test_tries_keep_counting_across_a_rotation(client, link):
    """The per-address counters are found under the old key: a rotation is no way to
    get a fresh set of tries or skip the resend cooldown."""
    request_code(client, link, ALICE)
    code = last_code(ALICE)
    client.post(enter_code_url(link), {"code": wrong_code(code)})
    with override_settings(**ROTATED):
        client.post(send_code_url(link), {"email": ALICE})  # within the cooldown
        assert len(code_mails(ALICE)) == 1
        response = client.post(enter_code_url(link), {"code": wrong_code(code)})
    assert response.status_code == 400
    # Two wrong tries counted on one code: the second did not start from scratch.
    assert "Tries left: 3." in response.content.decode()


def _defer(client, link):
    """Ask for a code, keeping the email task for a 'worker' run by the test."""
    queued = []
    real_later = code_requests.later

    def later(task, *args, **kwargs):
        if task is code_emails.send_code_email:
            queued.append(args)
        else:  # the code request itself runs as usual
            real_later(task, *args, **kwargs)

    with mock.patch.object(code_requests, "later", later):
        client.post(send_code_url(link), {"email": ALICE})
    assert len(queued) == 1
    return queued[0][0]


def test_a_worker_on_the_new_key_mails_a_code_the_old_web_process_accepts(client, link):
    code_id = _defer(client, link)  # the web process still runs with the old key
    with override_settings(**ROTATED):  # the worker was restarted first
        assert code_emails.deliver_code(code_id) == "sent"
    response = client.post(enter_code_url(link), {"code": last_code(ALICE)})
    assert response.status_code == 303


def test_a_worker_without_the_new_key_fails_the_code_instead_of_mailing_a_wrong_one(
    client, link
):
    with override_settings(**ROTATED):  # the web process was restarted first
        code_id = _defer(client, link)
    assert code_emails.deliver_code(code_id) == "failed"  # the worker: old key only
    assert mail.outbox == []
    assert not VerificationCode.objects.exists()
    assert AccessEvent.objects.filter(event="code_send_failed").count() == 1
