# ruff: noqa: E402 (Django is set up before the imports that need it)
"""Data for the benchmark site, made through the service layer (``make bench``).

Run as ``python -m benchmarks.setup_data PHASE`` with ``benchmarks.settings``; each
phase prints one JSON object that ``benchmarks/run.py`` reads.

Verified visitors get their grant cookie from ``services.open_grant``, the very call
that a right code ends in, on a ``specific`` link: every benchmarked download then
runs the per-request check that matters (grant row looked up, secret compared,
recipient, lock and reverification checked), which an ``anyone`` link would skip.
"""

import json
import os
import secrets
import string
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
django.setup()

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test import Client, RequestFactory, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import Collection

from wagtail_securelink import services
from wagtail_securelink.core.tokens import new_link_key
from wagtail_securelink.models import ShareLink, VerificationCode
from wagtail_securelink.serving.browsing import PAGE_SIZE
from wagtail_securelink.verification import codes, grants

ALICE = "alice@example.com"
MB = 1024 * 1024
Document = get_document_model()


def _media(name: str) -> str:
    path = os.path.join(settings.MEDIA_ROOT, "documents", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def write_file(name: str, size: int, *, sparse: bool = False) -> str:
    """A file of ``size`` incompressible bytes (or a sparse one) under media/documents."""
    path = _media(name)
    with open(path, "wb") as handle:
        if sparse:
            handle.truncate(size)
        else:
            block = os.urandom(MB)
            for _ in range(size // MB):
                handle.write(block)
            handle.write(block[: size % MB])
    return f"documents/{name}"


def add_document(title, stored_name, collection):
    document = Document(title=title, collection=collection, file=stored_name)
    document.file_size = document.file.size
    document.save()
    return document


def grant_cookie(link) -> str:
    recipient = link.recipients.filter(email=ALICE).first()
    _grant, value = services.open_grant(
        link, RequestFactory().get("/"), recipient=recipient
    )
    return f"{grants.cookie_name(link, False)}={value}"


def share(target, owner, **kwargs):
    kwargs.setdefault("audience", "specific")
    kwargs.setdefault("role", "download")
    recipients = [ALICE] if kwargs["audience"] == "specific" else []
    return services.create_link(
        target=target,
        recipients=recipients,
        created_by=owner,
        send_invitations=False,
        **kwargs,
    )


def admin_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def count_queries(url: str, cookie: str = "", user=None) -> int:
    client = Client()
    if user is not None:
        client.force_login(user)
    for part in filter(None, cookie.split("; ")):
        name, _, value = part.partition("=")
        client.cookies[name] = value
    client.get(url)  # warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if response.streaming:
            for _chunk in response.streaming_content:
                pass
    assert response.status_code in (200, 206), (url, response.status_code)
    return sum(
        1
        for query in captured.captured_queries
        if not query["sql"].upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE"))
    )


def _code_sessions(link, count: int) -> list[dict]:
    """``count`` browsers, each with a pending code on ``link``, as after "send code".

    Each browser asks for its own recipient's code through the service layer
    (``services.request_code`` and the task it queues, run here inside a transaction
    whose commit runs the tasks inline: ``captureOnCommitCallbacks``): since the per-address counters
    (``address_state``), one address has one live code at a time, so browsers sharing
    an address would invalidate each other's codes. The code is read back from its
    row's nonce, as the email would carry it.
    """
    factory = RequestFactory()
    out = []
    alphabet = string.ascii_letters + string.digits
    for recipient in link.recipients.order_by("pk")[:count]:
        request = factory.post("/")
        request.session = SessionStore()
        with transaction.atomic(), TestCase.captureOnCommitCallbacks(execute=True):
            services.request_code(link, recipient.email, request)
        row = VerificationCode.objects.get(
            recipient=recipient, sent_at__isnull=False, used_at__isnull=True
        )
        csrf = "".join(secrets.choice(alphabet) for _ in range(32))
        out.append(
            {
                "session": request.session.session_key,
                "code": codes.derive_code(row.nonce, row.digits),
                "csrf": csrf,
            }
        )
    if len(out) < count:
        raise SystemExit(f"only {len(out)} of {count} code sessions could be made")
    return out


def phase_main(code_sessions: int) -> dict:
    User = get_user_model()
    owner = User.objects.create_superuser("bench", "bench@example.com", "bench-pass")
    policy = services.current_policy()
    policy.zip_max_mb = 4096
    policy.save()
    root = Collection.get_first_root_node()

    small = Document(title="Small file", collection=root)
    small.file.save("small-100k.bin", ContentFile(os.urandom(100 * 1024)), save=False)
    small._set_document_file_metadata()
    small.save()
    # Kept public (S16), so that Wagtail's own serve view, the reference, serves it too.
    small_link = share(small, owner, keep_public=True)

    big = add_document(
        "One gigabyte",
        write_file("big-1g.bin", int(os.environ.get("BENCH_BIG_MB", "1024")) * MB),
        root,
    )
    big_link = share(big, owner)
    huge = add_document(
        "Three gigabytes (sparse)",
        write_file("huge-3g.bin", 3 * 1024 * MB, sparse=True),
        root,
    )
    huge_link = share(huge, owner)

    zip_folder = root.add_child(name="Zip 1 GB")
    zip_files = []
    for i in range(10):
        name = write_file(f"part-{i}.bin", 1024 * MB // 10)
        add_document(f"Part {i}", name, zip_folder)
        zip_files.append(os.path.join(settings.MEDIA_ROOT, name))
    zip_link = share(zip_folder, owner)

    ten = root.add_child(name="Ten documents")
    fifty = root.add_child(name="Fifty documents")  # one full page
    many = root.add_child(name="Ten thousand documents")
    for folder, count in ((ten, 10), (fifty, PAGE_SIZE), (many, 10_000)):
        Document.objects.bulk_create(
            Document(
                title=f"Document {i:05d}",
                file=f"documents/listed-{folder.pk}-{i}.pdf",
                file_size=1000 + i,
                collection=folder,
            )
            for i in range(count)
        )
    ten_link, many_link = share(ten, owner), share(many, owner)
    fifty_link = share(fifty, owner)
    # One recipient per browser of the code scenario (see ``_code_sessions``).
    code_link = services.create_link(
        target=small,
        recipients=[f"code-{i}@example.com" for i in range(code_sessions)],
        created_by=owner,
        audience="specific",
        role="download",
        send_invitations=False,
        keep_public=True,
    )

    state = {
        "owner_id": owner.pk,
        "admin_cookie": admin_cookie(owner),
        "admin_url": reverse("wagtail_securelink_sharelink:index"),
        "small": {
            "link": reverse("wagtail_securelink:download", args=[small_link.token]),
            "cookie": grant_cookie(small_link),
            "wagtail": small.url,
            "path": small.file.path,
            "size": small.file_size,
        },
        "big": {
            "link": reverse("wagtail_securelink:download", args=[big_link.token]),
            "cookie": grant_cookie(big_link),
            "wagtail": big.url,
            "name": big.file.name,
            "path": big.file.path,
        },
        "huge": {
            "link": reverse("wagtail_securelink:download", args=[huge_link.token]),
            "cookie": grant_cookie(huge_link),
            "size": huge.file_size,
        },
        "zip": {
            "link": reverse("wagtail_securelink:zip", args=[zip_link.token]),
            "cookie": grant_cookie(zip_link),
            "files": zip_files,
        },
        "listing": {},
        "codes": {
            "url": reverse("wagtail_securelink:enter_code", args=[code_link.token]),
            "sessions": _code_sessions(code_link, code_sessions),
        },
    }
    for key, link in (("ten", ten_link), ("fifty", fifty_link), ("many", many_link)):
        landing = reverse("wagtail_securelink:landing", args=[link.token])
        cookie = grant_cookie(link)
        state["listing"][key] = {
            "url": landing,
            "search": landing + "?q=Document+0000",
            "cookie": cookie,
            "queries": count_queries(landing, cookie),
            "search_queries": count_queries(landing + "?q=Document+0000", cookie),
            "rows": min(
                Document.objects.filter(collection=link.collection).count(), PAGE_SIZE
            ),
            "search_rows": Document.objects.filter(
                collection=link.collection, title__icontains="Document 0000"
            ).count(),
        }
    state["small"]["queries"] = count_queries(
        state["small"]["link"], state["small"]["cookie"]
    )
    state["small"]["wagtail_queries"] = count_queries(small.url)
    top_up_links(owner, 10)
    state["admin_queries"] = count_queries(state["admin_url"], user=owner)
    state["links"] = ShareLink.objects.count()
    return state


def top_up_links(owner, total: int) -> None:
    """Bulk rows, as many share links would be after years of use."""
    target = Document.objects.order_by("pk").first()
    missing = total - ShareLink.objects.count()
    ShareLink.objects.bulk_create(
        (
            ShareLink(
                key=new_link_key(),
                target_type="document",
                document=target,
                target_title=f"Link {i}",
                audience="specific",
                role="download",
                created_by=owner,
            )
            for i in range(max(0, missing))
        ),
        batch_size=1000,
    )


def phase_links(total: int) -> dict:
    """Links topped up to ``total`` (a full admin page is 50), and the listing's cost."""
    owner = get_user_model().objects.get(username="bench")
    top_up_links(owner, total)
    links = ShareLink.objects.count()
    return {
        "links": links,
        "admin_queries": count_queries(
            reverse("wagtail_securelink_sharelink:index"), user=owner
        ),
    }


def phase_s3() -> dict:
    """A document stored in the S3 bucket (moto), shared; run with ``BENCH_SERVE=s3``."""
    import boto3

    options = settings.STORAGES["default"]["OPTIONS"]
    boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        aws_access_key_id=options["access_key"],
        aws_secret_access_key=options["secret_key"],
        region_name=options["region_name"],
    ).create_bucket(Bucket=options["bucket_name"])
    owner = get_user_model().objects.get(username="bench")
    document = Document(
        title="In the bucket", collection=Collection.get_first_root_node()
    )
    document.file.save(
        "in-bucket.pdf", ContentFile(b"%PDF-1.4\n" + os.urandom(100 * 1024)), save=False
    )
    document._set_document_file_metadata()
    document.save()
    link = share(document, owner)
    return {
        "link": reverse("wagtail_securelink:download", args=[link.token]),
        "cookie": grant_cookie(link),
        "size": document.file_size,
    }


if __name__ == "__main__":
    phase = sys.argv[1]
    if phase == "main":
        result = phase_main(int(sys.argv[2]))
    elif phase == "links":
        result = phase_links(int(sys.argv[2]))
    elif phase == "s3":
        result = phase_s3()
    else:
        raise SystemExit(f"unknown phase {phase!r}")
    print(json.dumps(result))
