"""Unit tests for ``wagtail_securelink.verification.codes``."""

import base64
from unittest import mock

import pyotp
import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from wagtail_securelink.verification import codes


def test_nonce_has_128_bits():
    nonce = codes.new_nonce()
    assert len(bytes.fromhex(nonce)) == 16
    assert len({codes.new_nonce() for _ in range(1000)}) == 1000


@pytest.mark.parametrize("digits", [6, 8, 10])
def test_derived_code_has_the_asked_length(digits):
    code = codes.derive_code(codes.new_nonce(), digits)
    assert len(code) == digits
    assert code.isascii() and code.isdigit()


def test_derivation_is_deterministic_and_keyed():
    nonce = codes.new_nonce()
    code = codes.derive_code(nonce, 10)
    assert codes.derive_code(nonce, 10) == code
    # The nonce alone (what the database holds) does not give the code.
    with override_settings(SECRET_KEY="another-secret-key-for-this-test-0123456789"):
        assert codes.derive_code(nonce, 10) != code


def test_codes_spread_over_the_whole_range():
    firsts = {codes.derive_code(codes.new_nonce(), 6)[0] for _ in range(300)}
    assert firsts == set("0123456789")


def test_code_is_an_hotp_value():
    with mock.patch.object(codes.pyotp, "HOTP", wraps=pyotp.HOTP) as spy:
        code = codes.derive_code(codes.new_nonce(), 6)
    secret = spy.call_args.args[0]
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) * 8 >= 128
    assert pyotp.HOTP(secret, digits=6).at(0) == code


def test_hash_is_keyed_and_bound_to_the_nonce():
    nonce = codes.new_nonce()
    stored = codes.hash_code(nonce, "123456")
    assert len(stored) == 64
    assert codes.hash_code(codes.new_nonce(), "123456") != stored
    assert codes.matches(nonce, stored, "123456")
    assert not codes.matches(nonce, stored, "123457")
    with override_settings(SECRET_KEY="another-secret-key-for-this-test-0123456789"):
        assert not codes.matches(nonce, stored, "123456")


@pytest.mark.parametrize(
    ("typed", "clean"),
    [("482 913", "482913"), ("482-913", "482913"), ("\t482913 ", "482913"), ("", "")],
)
def test_clean_input_drops_ascii_separators(typed, clean):
    assert codes.clean_input(typed) == clean


def test_clean_input_keeps_unicode_spaces():
    # A non-breaking space is not an ASCII separator: the code stays malformed.
    assert codes.clean_input("482\u00a0913") == "482\u00a0913"


@pytest.mark.parametrize(
    "value",
    [
        "12345",
        "1234567",
        "１２３４５６",
        "١٢٣٤٥٦",
        "12345a",
        "12345\n",
        "+12345",
        " 12345",
        "",
    ],
)
def test_only_ascii_digits_of_the_right_length_are_well_formed(value):
    assert not codes.is_well_formed(value, 6)


def test_well_formed():
    assert codes.is_well_formed("012345", 6)
    assert codes.is_well_formed("0123456789", 10)


@given(st.text(max_size=40))
def test_is_well_formed_never_accepts_non_ascii(value):
    if codes.is_well_formed(value, 6):
        assert value.isascii() and value.isdigit() and len(value) == 6


# Chi-square with 9 degrees of freedom: a digit that follows its expected distribution
# exceeds 33.72 with probability 1e-4, so one of the 14 positions below fails by chance
# in about 1 run of 700. A 10-digit HOTP's first digit (only 0, 1 or 2) scores in the
# thousands against uniform.
CHI2_9_DOF_P_1E4 = 33.72
HOTP_VALUES = 2**31  # RFC 4226 §5.3: the truncated value has 31 bits


def chi_square(counts: list[int], expected: list[float] | None = None) -> float:
    if expected is None:
        expected = [sum(counts) / len(counts)] * len(counts)
    return sum((count - e) ** 2 / e for count, e in zip(counts, expected, strict=True))


def hotp_digit_odds(digits: int, position: int) -> list[float]:
    """The exact chance of each digit at ``position`` of a ``digits``-long HOTP code.

    The code is a uniform 31-bit value modulo 10**digits. 2**31 is not a multiple of
    10**8, so the first digit of an 8-digit code is 0 to 3 a little more often (22 in
    2147 against 21): RFC 4226's modulo bias, exact here rather than hidden by the test.
    """
    modulus = 10**digits
    place = 10 ** (digits - 1 - position)
    full, rest = divmod(HOTP_VALUES, modulus)
    odds = []
    for digit in range(10):
        # Values below ``rest`` (the incomplete last cycle) whose digit at ``place`` is digit.
        blocks, tail = divmod(rest, 10 * place)
        partial = blocks * place + min(max(tail - digit * place, 0), place)
        odds.append((full * modulus // 10 + partial) / HOTP_VALUES)
    return odds


def digit_counts(digits: int, samples: int) -> list[list[int]]:
    counts = [[0] * 10 for _ in range(digits)]
    for _ in range(samples):
        code = codes.derive_code(codes.new_nonce(), digits)
        assert len(code) == digits
        for position, digit in enumerate(code):
            counts[position][int(digit)] += 1
    return counts


def test_the_expected_odds_are_exact():
    # Each position's odds sum to one; 6 digits are uniform to 1 part in 2147, and the
    # first digit of 8 favours 0-3 by 22/21 (what a guesser can gain: 0.035 bits).
    for digits in (6, 8):
        for position in range(digits):
            assert sum(hotp_digit_odds(digits, position)) == pytest.approx(1, abs=1e-12)
    assert max(hotp_digit_odds(6, 0)) / min(hotp_digit_odds(6, 0)) < 1.0005
    first = hotp_digit_odds(8, 0)
    assert first[0] * HOTP_VALUES == 22 * 10**7
    assert first[9] * HOTP_VALUES == 21 * 10**7
    assert hotp_digit_odds(8, 7) == pytest.approx([0.1] * 10, abs=1e-9)


@pytest.mark.parametrize("digits", [6, 8])
def test_every_digit_position_follows_hotp(settings, digits):
    # What the policy allows (6 to 8, RFC 4226's range) is what a code is: each position
    # of a 6- or 8-digit code follows the odds of a uniform 31-bit value, within
    # sampling error. (Tested against uniform instead, the 8-digit first position fails
    # about one run in thirty: the bias is real, and small.)
    settings.SECRET_KEY = "uniformity-test-key-" + "x" * 40
    samples = 20_000
    for position, counts in enumerate(digit_counts(digits, samples)):
        expected = [samples * p for p in hotp_digit_odds(digits, position)]
        assert chi_square(counts, expected) < CHI2_9_DOF_P_1E4, (position, counts)


def test_ten_digits_would_not_be(settings):
    # Why the policy stops at 8: pyotp's HOTP value has 31 bits (2**31 = 2147483648),
    # so a 10-digit code starts with 0, 1 or 2 and never with 3 to 9.
    first = digit_counts(10, 2_000)[0]
    assert first[3:] == [0] * 7
    assert chi_square(first) > 1000
