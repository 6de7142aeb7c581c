"""S2: codes come from pyotp over ``secrets`` with a fresh HOTP secret per code, are
stored only as a keyed hash, compared in constant time, and only ASCII digits count."""

import datetime
import hmac
import secrets
from unittest import mock

import pyotp
import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from tests.helpers import enter_code_url, last_code, request_code
from tests.security.conftest import ALICE
from wagtail_securelink.models import AccessEvent, Grant, VerificationCode
from wagtail_securelink.verification import codes

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_no_code_in_clear_in_the_database(client, any_link):
    """S2: no column of a code row (nor a session or an event) holds the emailed code."""
    link = any_link
    request_code(client, link, ALICE)
    code = last_code(ALICE)
    row = VerificationCode.objects.values().get()
    for column, value in row.items():
        assert code not in str(value), column
    for session in Session.objects.all():
        assert code not in repr(session.get_decoded())
    for event in AccessEvent.objects.values():
        assert code not in str(event)
    # The row holds the keyed hash of the code: the same code hashes differently
    # under another SECRET_KEY, so a dump cannot be brute-forced offline.
    assert row["code_hash"] == codes.hash_code(row["nonce"], code)
    with override_settings(SECRET_KEY="another-secret-key-0123456789"):
        assert codes.hash_code(row["nonce"], code) != row["code_hash"]


def test_full_width_digits_are_refused(client, any_link):
    """S2: the right code typed in full-width digits (NFKC-equal) is refused."""
    link = any_link
    request_code(client, link, ALICE)
    code = last_code(ALICE)
    response = client.post(enter_code_url(link), {"code": code.translate(FULL_WIDTH)})
    assert response.status_code == 400
    assert not Grant.objects.exists()
    for digits in ("١٢٣٤٥٦", "𝟏𝟐𝟑𝟒𝟓𝟔", "¹²³⁴⁵⁶"):  # Arabic-Indic, maths, superscript
        assert client.post(enter_code_url(link), {"code": digits}).status_code == 400
    # Refusals of malformed input do not spend a try: the ASCII code still works.
    assert client.post(enter_code_url(link), {"code": code}).status_code == 303


def test_codes_are_compared_with_hmac_compare_digest(client, link):
    """S2: the comparison goes through ``hmac.compare_digest`` (constant time)."""
    request_code(client, link, ALICE)
    code = last_code(ALICE)
    stored = VerificationCode.objects.get()
    with mock.patch(
        "wagtail_securelink.verification.codes.hmac.compare_digest",
        wraps=hmac.compare_digest,
    ) as spy:
        response = client.post(enter_code_url(link), {"code": code})
    assert response.status_code == 303
    assert mock.call(codes.hash_code(stored.nonce, code), stored.code_hash) in (
        spy.call_args_list
    )


def test_codes_come_from_hotp_with_a_fresh_secret_each(client, link):
    """S2: each code is ``pyotp.HOTP(secret).at(0)`` with a new secret from ``secrets``."""
    with (
        mock.patch.object(codes.pyotp, "HOTP", wraps=pyotp.HOTP) as hotp,
        mock.patch.object(codes.secrets, "token_hex", wraps=secrets.token_hex) as rng,
    ):
        emailed = []
        start = timezone.now()
        for minute in range(3):  # past the resend cooldown each time
            with time_machine.travel(start + datetime.timedelta(minutes=2 * minute)):
                request_code(client, link, ALICE)
                emailed.append(last_code(ALICE))
    assert len(mail.outbox) == 3
    assert rng.call_count == 3
    assert all(call.args[0] * 8 >= 128 for call in rng.call_args_list)
    used_secrets = [call.args[0] for call in hotp.call_args_list]
    assert len(set(used_secrets)) == 3  # a fresh secret per code
    for code, secret in zip(emailed, dict.fromkeys(used_secrets), strict=True):
        assert pyotp.HOTP(secret, digits=6).at(0) == code
