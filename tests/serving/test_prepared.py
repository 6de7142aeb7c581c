"""``prepared.PreparedQuery``: the download path's look-ups, compiled once per connection.

They must give exactly what the ORM gives (values, types, related objects, annotations),
read the row afresh on every call (revocation and expiry are checked on each request,
S9), and refuse a queryset whose parameters are not the stand-ins.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_document, make_link
from wagtail_securelink import services
from wagtail_securelink.models import Grant, ShareLink
from wagtail_securelink.serving.prepared import PreparedQuery

pytestmark = pytest.mark.django_db
ALICE = "alice@example.com"


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_resolve_token_gives_what_the_orm_gives():
    link = make_link(make_document(), [ALICE])
    policy = services.current_policy()
    with CaptureQueriesContext(connection) as captured:
        found = services.resolve_token(link.token)
        # The link's document, collection and creator came in the same query.
        related = (found.document, found.collection, found.created_by)
    assert len(captured.captured_queries) == 1
    expected = ShareLink.objects.select_related("document", "created_by").get(
        pk=link.pk
    )
    assert _fields(found) == _fields(expected)
    assert isinstance(found.created_at, datetime.datetime)
    assert found.created_at.tzinfo is not None
    assert _fields(related[0]) == _fields(expected.document)
    assert related[1] is None
    assert _fields(related[2]) == _fields(expected.created_by)
    assert found.policy_version == policy.version
    assert not found._state.adding and found._state.db == "default"


def test_unknown_key_and_grant_give_none():
    link = make_link(make_document(), [ALICE])
    # Change a character in the middle of the signature: its last character has two
    # spare bits, so "A" for "B" there would decode to the same signature.
    key, signature = link.token.split(".")
    middle = "A" if signature[10] != "A" else "B"
    forged = f"{key}.{signature[:10]}{middle}{signature[11:]}"
    assert services.resolve_token(forged) is None
    other = make_link(make_document(filename="other.pdf"), [ALICE])
    from wagtail_securelink.verification.access import _GRANT

    grant = Grant.objects.create(link=link, secret_hash="x" * 64)
    assert _GRANT.first(grant.pk, other.pk) is None  # another link's grant
    found = _GRANT.first(grant.pk, link.pk)
    assert found.pk == grant.pk and found.recipient is None


def test_every_call_reads_the_row_again():
    link = make_link(make_document(), [ALICE])
    assert services.resolve_token(link.token).revoked_at is None
    ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    found = services.resolve_token(link.token)
    assert found.revoked_at is not None
    assert not found.is_active(policy=services.current_policy())


def test_policy_version_follows_a_saved_policy():
    link = make_link(make_document(), [ALICE])
    policy = services.current_policy()
    before = services.resolve_token(link.token).policy_version
    policy.save()
    after = services.resolve_token(link.token).policy_version
    assert before != after == policy.version


def test_parameters_must_be_the_stand_ins():
    twice = PreparedQuery(
        ShareLink, lambda key: ShareLink.objects.filter(key=key, message=key), "k"
    )
    with pytest.raises(ValueError, match="appears 2 times"):
        twice.first("x")
    derived = PreparedQuery(
        ShareLink,
        lambda key: ShareLink.objects.filter(key=key, message=key.upper()),
        "k",
    )
    with pytest.raises(ValueError, match="other than the stand-ins"):
        derived.first("x")


def test_constants_of_the_queryset_are_kept():
    link = make_link(make_document(), [ALICE])
    by_role = PreparedQuery(
        ShareLink,
        lambda key: ShareLink.objects.filter(key=key, role=link.role).order_by()[:1],
        "k",
    )
    assert by_role.first(link.key) == link
    other_role = PreparedQuery(
        ShareLink,
        lambda key: ShareLink.objects.filter(key=key).exclude(role=link.role)[:1],
        "k",
    )
    assert other_role.first(link.key) is None
