"""The management commands: securelink_share, securelink_list, securelink_revoke."""

import datetime
import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.factories import PDF_CONTENT, make_document, make_link, make_user
from tests.helpers import download_url, landing_url, verify
from wagtail_securelink import services
from wagtail_securelink.models import SecureLinkPolicy, ShareLink

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"
BOB = "bob@example.org"


def run(name, *args):
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def share(*args):
    out, _ = run("securelink_share", *args)
    return out


@pytest.fixture(autouse=True)
def owner():
    """The site's only active superuser: the default owner of links made here."""
    return make_user("owner", superuser=True)


@pytest.fixture
def document():
    return make_document()


# -- securelink_share ---------------------------------------------------------------


def test_share_prints_the_url_last_and_it_works(client, document):
    out = share("--document", str(document.pk), "--to", ALICE, "--to", BOB)
    url = out.strip().splitlines()[-1]
    link = ShareLink.objects.get()
    assert url == services.link_url(link)
    assert url.startswith("https://share.example.test/")
    assert f"Created link {link.pk}" in out
    assert f"Invitations sent to: {ALICE}, {BOB}" in out
    assert sorted(m.to[0] for m in mail.outbox) == [ALICE, BOB]
    assert all(url in m.body for m in mail.outbox)

    # The printed URL is the one a visitor opens.
    path = urlsplit(url).path
    assert path == landing_url(link)
    assert services.resolve_token(path.strip("/").split("/")[-1]) == link
    assert verify(client, link, ALICE).status_code == 303
    response = client.get(download_url(link))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_CONTENT


def test_share_options_reach_the_link(document):
    make_user("sharer")
    share(
        "--document",
        str(document.pk),
        "--to",
        "Alice@Example.COM, bob@example.org",
        "--role",
        "view",
        "--expires",
        "2099-03-31",
        "--message",
        "For your eyes",
        "--no-email",
        "--as",
        "sharer",
    )
    link = ShareLink.objects.get()
    assert list(link.recipients.values_list("email", flat=True)) == [ALICE, BOB]
    assert link.role == "view"
    assert link.message == "For your eyes"
    assert link.created_by.username == "sharer"
    assert mail.outbox == []
    expires = timezone.localtime(link.expires_at)
    assert (expires.date(), expires.hour, expires.minute) == (
        datetime.date(2099, 3, 31),
        23,
        59,
    )


def test_share_expiry_is_the_end_of_the_day_in_the_current_time_zone(
    settings, document
):
    settings.TIME_ZONE = "Europe/Paris"
    share("--document", str(document.pk), "--to", ALICE, "--expires", "2099-07-01")
    link = ShareLink.objects.get()
    # Paris is UTC+2 in summer: the last moment of 1 July there is 21:59:59 UTC.
    assert link.expires_at.astimezone(datetime.UTC).replace(microsecond=0) == (
        datetime.datetime(2099, 7, 1, 21, 59, 59, tzinfo=datetime.UTC)
    )


def test_share_link_expires_after_that_day(client, document):
    out = share(
        "--document", str(document.pk), "--to", ALICE, "--expires", "2099-01-01"
    )
    link = ShareLink.objects.get()
    assert link.expires_at.date() == datetime.date(2099, 1, 1)
    with time_machine.travel(
        datetime.datetime(2099, 1, 2, 0, 0, 1, tzinfo=datetime.UTC)
    ):
        assert client.get(urlsplit(out.splitlines()[-1]).path).status_code == 404


def test_share_uses_the_policy_default_role(document):
    share("--document", str(document.pk), "--to", ALICE, "--no-email")
    assert ShareLink.objects.get().role == SecureLinkPolicy.load().default_role


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--document", "999", "--to", ALICE], "There is no document with the id 999"),
        (["--to", "not-an-address"], "not-an-address"),
        (["--to", "a@example.com,nope,also bad"], "nope, also bad"),
        (["--to", " , "], "at least one recipient"),
        (["--to", ALICE, "--expires", "2020-01-01"], "expiry must be in the future"),
        (["--to", ALICE, "--expires", "31/12/2099"], "YYYY-MM-DD"),
        (["--to", ALICE, "--expires", "2099-02-30"], "YYYY-MM-DD"),
        (["--to", ALICE, "--as", "nobody"], "no active user"),
        (["--to", ALICE, "--role", "owner"], "invalid choice"),
        (["--to", ALICE, "--role", "upload"], "collections, not on a single document"),
        (["--audience", "anyone", "--to", ALICE], "specific people only"),
        (["--to", ALICE, "--password", "x"], "Only links that work for anyone"),
        (
            ["--collection", "999", "--to", ALICE],
            "not allowed with argument|no collection",
        ),
        (["--document", "x", "--to", ALICE], "invalid int value"),
        ([], "at least one recipient"),
    ],
    ids=[
        "unknown-document",
        "invalid-address",
        "names-every-invalid-address",
        "no-address",
        "past-expiry",
        "expiry-format",
        "expiry-not-a-date",
        "unknown-user",
        "unknown-role",
        "upload-on-a-document",
        "recipients-on-anyone",
        "password-on-specific",
        "document-and-collection",
        "document-not-a-number",
        "missing-to",
    ],
)
def test_share_refuses_bad_input(document, args, message):
    if "--document" not in args:
        args = ["--document", str(document.pk), *args]
    with pytest.raises(CommandError, match=message):
        share(*args)
    assert not ShareLink.objects.exists()
    assert mail.outbox == []


def test_share_refuses_an_inactive_user(document):
    user = make_user("gone")
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="no active user"):
        share("--document", str(document.pk), "--to", ALICE, "--as", "gone")


def test_share_names_addresses_the_policy_blocks(document):
    policy = SecureLinkPolicy.load()
    policy.blocked_domains = "example.org"
    policy.save()
    with pytest.raises(CommandError) as excinfo:
        share("--document", str(document.pk), "--to", ALICE, "--to", BOB)
    assert "recipients:" in str(excinfo.value)
    assert BOB in str(excinfo.value)
    assert ALICE not in str(excinfo.value)
    assert not ShareLink.objects.exists()


def test_share_still_prints_the_url_when_an_invitation_fails(settings, document):
    settings.EMAIL_BACKEND = "tests.management.test_commands.FailingBackend"
    out, err = run("securelink_share", "--document", str(document.pk), "--to", ALICE)
    link = ShareLink.objects.get()
    assert out.strip().splitlines()[-1] == services.link_url(link)
    assert f"could not be sent to: {ALICE}" in err


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("SMTP is down")


def test_share_without_as_records_the_only_active_superuser(document, owner):
    gone = make_user("former-admin", superuser=True)
    gone.is_active = False
    gone.save()
    make_user("editor")
    out = share("--document", str(document.pk), "--to", ALICE)
    link = ShareLink.objects.get()
    assert link.created_by == owner
    assert "Created by: owner" in out
    # The invitation names the sharer.
    (invitation,) = mail.outbox
    assert invitation.subject.startswith("owner shared ")


@pytest.mark.parametrize(
    ("superusers", "message"),
    [(0, "no active superuser"), (2, "several active superusers")],
    ids=["none", "several"],
)
def test_share_without_as_refuses_when_the_owner_is_not_clear(
    document, owner, superusers, message
):
    if superusers == 0:
        owner.delete()
    else:
        make_user("second-admin", superuser=True)
    with pytest.raises(CommandError, match=f"{message}.*--as USERNAME"):
        share("--document", str(document.pk), "--to", ALICE)
    assert not ShareLink.objects.exists()
    assert mail.outbox == []


def test_share_without_as_exits_non_zero_with_the_reason(document, capsys, monkeypatch):
    from django.db import connections

    from wagtail_securelink.management.commands.securelink_share import Command

    # run_from_argv (what manage.py calls) closes connections when it ends: keep the
    # test database open.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    make_user("second-admin", superuser=True)
    argv = ["manage.py", "securelink_share", "--document", str(document.pk)]
    with pytest.raises(SystemExit) as excinfo:
        Command().run_from_argv([*argv, "--to", ALICE])
    assert excinfo.value.code != 0
    assert "several active superusers" in capsys.readouterr().err
    assert not ShareLink.objects.exists()


def test_share_as_chooses_between_several_superusers(document):
    make_user("second-admin", superuser=True)
    share("--document", str(document.pk), "--to", ALICE, "--as", "second-admin")
    assert ShareLink.objects.get().created_by.username == "second-admin"


# -- securelink_list ----------------------------------------------------------------


def test_list_shows_every_column(document):
    link = make_link(document, [ALICE, BOB], role="view")
    out, _ = run("securelink_list")
    header, row = out.strip().splitlines()
    assert header.split() == [
        "id",
        "target",
        "audience",
        "role",
        "recipients",
        "created",
        "expires",
        "status",
        "opens",
    ]
    cells = re.split(r"\s{2,}", row)
    created = timezone.localtime(link.created_at).strftime("%Y-%m-%d %H:%M")
    assert cells == [
        str(link.pk),
        "Report",
        "specific",
        "view",
        f"{ALICE}, {BOB}",
        created,
        "-",
        "active",
        "0",
    ]


def test_list_filters_by_status_and_document(document):
    other = make_document("Other")
    active = make_link(document, [ALICE])
    revoked = make_link(document, [ALICE])
    services.revoke_link(revoked)
    expiring = make_link(
        other, [BOB], expires_at=timezone.now() + datetime.timedelta(days=1)
    )

    def ids(*args):
        out, _ = run("securelink_list", *args)
        return {int(line.split()[0]) for line in out.strip().splitlines()[1:]}

    assert ids() == {active.pk, revoked.pk, expiring.pk}
    assert ids("--status", "revoked") == {revoked.pk}
    assert ids("--document", str(other.pk)) == {expiring.pk}
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        assert ids("--status", "active") == {active.pk}
        assert ids("--status", "expired") == {expiring.pk}
        assert ids("--status", "all") == {active.pk, revoked.pk, expiring.pk}


def test_list_says_when_there_is_nothing():
    out, _ = run("securelink_list")
    assert out.strip() == "No links."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--status", "nope"], "invalid choice"),
        (["--document", "999"], "There is no document with the id 999"),
    ],
)
def test_list_refuses_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        run("securelink_list", *args)


# -- securelink_revoke --------------------------------------------------------------


@pytest.mark.parametrize("form", ["id", "url", "download-url", "token"])
def test_revoke_by_id_url_or_token_ends_access(client, document, form):
    link = make_link(document, [ALICE])
    verify(client, link, ALICE)
    assert client.get(download_url(link)).status_code == 200
    name = {
        "id": str(link.pk),
        "url": services.link_url(link),
        "download-url": "https://share.example.test" + download_url(link),
        "token": link.token,
    }[form]
    # "--": a token may start with "-" and would then be read as an option.
    out, _ = run("securelink_revoke", "--", name)
    assert f"Revoked link {link.pk}" in out
    link.refresh_from_db()
    assert link.is_revoked
    response = client.get(download_url(link))
    assert response.status_code == 404
    assert b"This link has been removed or has expired" in response.content


def test_revoke_a_token_that_looks_like_an_option(document):
    link = make_link(document, [ALICE])
    ShareLink.objects.filter(pk=link.pk).update(key="-h" + link.key[2:])
    link.refresh_from_db()
    assert link.token.startswith("-h")
    run("securelink_revoke", "--", link.token)
    link.refresh_from_db()
    assert link.is_revoked


def test_revoke_several_and_records_who(document):
    make_user("operator")
    first, second = make_link(document, [ALICE]), make_link(document, [BOB])
    out, _ = run("securelink_revoke", str(first.pk), second.url, "--as", "operator")
    assert out.count("Revoked link") == 2
    for link in (first, second):
        link.refresh_from_db()
        assert link.revoked_by.username == "operator"


def test_revoke_twice_is_harmless(document):
    link = make_link(document, [ALICE])
    run("securelink_revoke", str(link.pk))
    out, _ = run("securelink_revoke", str(link.pk))
    assert "already revoked" in out


@pytest.mark.parametrize(
    "name",
    [
        "999",
        "https://share.example.test/share/not-a-token/",
        "abcdefghijklmnopqrstuv.forgedsignatureforgedsignatureforgedsig",
        "",
    ],
    ids=["unknown-id", "bad-url", "forged-token", "empty"],
)
def test_revoke_refuses_unknown_links_and_revokes_nothing(document, name):
    link = make_link(document, [ALICE])
    with pytest.raises(CommandError, match="Nothing was revoked"):
        run("securelink_revoke", str(link.pk), name)
    link.refresh_from_db()
    assert not link.is_revoked


def test_revoke_needs_a_link():
    with pytest.raises(CommandError, match="--created-by"):
        run("securelink_revoke")


def test_revoke_created_by_ends_every_link_of_an_editor_who_left(client, document):
    """Runbook "an editor leaves": their account is deactivated, their links revoked."""
    leaver = make_user("leaver")
    theirs = [
        make_link(document, [ALICE], created_by=leaver),
        make_link(document, [BOB], created_by=leaver),
    ]
    already = make_link(document, [BOB], created_by=leaver)
    run("securelink_revoke", str(already.pk))
    others = make_link(document, [ALICE])
    verify(client, theirs[0], ALICE)
    assert client.get(download_url(theirs[0])).status_code == 200
    leaver.is_active = False
    leaver.save()
    out, _ = run("securelink_revoke", "--created-by", "leaver", "--as", "owner")
    assert out.count("Revoked link") == 2
    assert client.get(download_url(theirs[0])).status_code == 404
    for link in theirs:
        link.refresh_from_db()
        assert link.is_revoked and link.revoked_by.username == "owner"
    others.refresh_from_db()
    assert not others.is_revoked
    out, _ = run("securelink_revoke", "--created-by", "leaver")
    assert "no link left to revoke" in out
    with pytest.raises(CommandError, match="no user with the username"):
        run("securelink_revoke", "--created-by", "nobody")


def test_revoke_refuses_an_unknown_user(document):
    link = make_link(document, [ALICE])
    with pytest.raises(CommandError, match="no active user"):
        run("securelink_revoke", str(link.pk), "--as", "nobody")
    link.refresh_from_db()
    assert not link.is_revoked


def test_share_a_collection_with_anyone_and_a_password(client):
    from tests.factories import make_collection

    collection = make_collection("Press kit")
    make_document("Logo", "logo.png", b"\x89PNG", collection=collection)
    out = share(
        "--collection",
        str(collection.pk),
        "--audience",
        "anyone",
        "--password",
        "s3cret-pass",
        "--role",
        "download",
        "--no-subcollections",
    )
    link = ShareLink.objects.get()
    assert (link.target_type, link.audience, link.include_descendants) == (
        "collection",
        "anyone",
        False,
    )
    assert link.password and link.password != "s3cret-pass"
    assert link.expires_at is not None  # the policy forces an expiry on anyone links
    url = out.strip().splitlines()[-1]
    path = url.removeprefix("https://share.example.test")
    assert b"Password required" in client.get(path).content


def test_share_unknown_collection():
    with pytest.raises(CommandError, match="no collection with the id 999"):
        share("--collection", "999", "--audience", "organization")
