"""View-only links show pages rendered on the server and never send the file."""

import io
import re
import subprocess
from html import unescape

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from tests.factories import make_collection, make_document, make_link
from tests.helpers import landing_url, verify
from tests.pdfs import MALFORMED_PDF, make_pdf
from wagtail_securelink.core.storage import private_storage
from wagtail_securelink.models import AccessEvent
from wagtail_securelink.viewer import rendering

ALICE = "alice@example.com"
PDF = make_pdf(3, "Hello")

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def urls_in(html: str) -> set[str]:
    """Every URL a page refers to: src, href, action, srcset, poster, data."""
    found = re.findall(r'(?:src|href|action|poster|data)="([^"]+)"', html)
    found += [
        part.strip().split(" ")[0]
        for srcset in re.findall(r'srcset="([^"]+)"', html)
        for part in srcset.split(",")
    ]
    return {unescape(url) for url in found if url.startswith("/")}


def view_link(document, **kwargs):
    kwargs.setdefault("role", "view")
    return make_link(document, [ALICE], **kwargs)


@pytest.fixture
def pdf_document():
    return make_document("Contract", filename="contract.pdf", content=PDF)


@pytest.fixture
def visitor(client, pdf_document):
    link = view_link(pdf_document)
    verify(client, link, ALICE)
    return client, link


def test_view_only_page_shows_the_first_rendered_page_with_its_text(visitor):
    client, link = visitor
    response = client.get(landing_url(link))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Page 1 of 3" in html
    assert "Hello 1" in html  # the page's text, for screen readers
    page_url = reverse("wagtail_securelink:page_image", args=[link.token, 1])
    assert f'src="{page_url}?zoom=100"' in html
    assert 'alt="Page 1 of 3' in html
    # Navigation: next and last, a form to go to a page, zoom links.
    assert "?page=2&amp;zoom=100" in html
    assert "?page=3&amp;zoom=100" in html
    assert 'name="page"' in html and 'max="3"' in html
    assert "?page=1&amp;zoom=150" in html
    assert "Previous page" not in html


def test_pages_navigate_and_clamp(visitor):
    client, link = visitor
    html = client.get(landing_url(link), {"page": "2"}).content.decode()
    assert "Page 2 of 3" in html and "Hello 2" in html
    assert "Previous page" in html and "Next page" in html
    html = client.get(landing_url(link), {"page": "99"}).content.decode()
    assert "Page 3 of 3" in html and "Next page" not in html
    for bad in ("abc", "-1", "0", "1e9", "２"):
        response = client.get(landing_url(link), {"page": bad, "zoom": "x"})
        assert response.status_code == 200
        assert "Page 1 of 3" in response.content.decode()


def test_page_image_is_a_jpeg_and_zoom_renders_larger(visitor):
    client, link = visitor
    url = reverse("wagtail_securelink:page_image", args=[link.token, 2])
    small = client.get(url, {"zoom": "100"})
    large = client.get(url, {"zoom": "150"})
    assert small.status_code == large.status_code == 200
    assert small["Content-Type"] == "image/jpeg"
    assert small["Cache-Control"] == "private, no-store"
    width = Image.open(io.BytesIO(small.content)).width
    assert Image.open(io.BytesIO(large.content)).width == pytest.approx(
        1.5 * width, abs=2
    )
    assert client.get(url.replace("/2/", "/9/")).status_code == 404


def test_view_only_never_sends_a_byte_of_the_original(client, pdf_document):
    """Fetch everything the page refers to, and every file URL the URL patterns allow,
    for a document link and inside a collection link: none of it holds the file."""
    folder = make_collection("Shared")
    inside = make_document(
        "Inside", filename="inside.pdf", content=PDF, collection=folder
    )
    pdf_document.collection = folder
    pdf_document.save()
    fetched, statuses = 0, {}
    for link in (view_link(pdf_document), view_link(folder)):
        verify(client, link, ALICE)
        pages = [landing_url(link)]
        if link.collection_id:
            pages.append(
                reverse(
                    "wagtail_securelink:collection_document",
                    args=[link.token, inside.pk],
                )
            )
        seen = set()
        for page in pages:
            html = client.get(page).content.decode()
            seen |= urls_in(html) | {page}
        prefix = landing_url(link)
        guessed = [
            f"{prefix}view/",
            f"{prefix}download/",
            f"{prefix}zip/",
        ]
        for doc in (pdf_document, inside):
            guessed += [
                f"{prefix}d/{doc.pk}/view/",
                f"{prefix}d/{doc.pk}/download/",
                f"{prefix}d/{doc.pk}/view/?inline=1",
            ]
        for page in (1, 2, 3):
            guessed.append(f"{prefix}page/{page}/?zoom=200")
            for doc in (pdf_document, inside):
                guessed.append(f"{prefix}d/{doc.pk}/page/{page}/")
        for url in sorted(seen | set(guessed)):
            for method in (client.get, client.head):
                response = method(url, HTTP_RANGE="bytes=0-")
                content = body(response)
                statuses[response.status_code] = (
                    statuses.get(response.status_code, 0) + 1
                )
                fetched += 1
                assert content != PDF, url
                assert PDF not in content, url
                assert PDF[:200] not in content, url
                assert b"%PDF" not in content, url
    assert fetched > 40
    assert statuses[200] >= 20  # the rendered pages, and the pages that show them


def test_view_role_refuses_the_inline_file(visitor):
    client, link = visitor
    response = client.get(reverse("wagtail_securelink:view_file", args=[link.token]))
    assert response.status_code == 403
    assert "Download not allowed" in response.content.decode()


def test_download_role_keeps_its_preview_and_file(client, pdf_document):
    link = make_link(pdf_document, [ALICE], role="download")
    verify(client, link, ALICE)
    html = client.get(landing_url(link)).content.decode()
    assert "Page 1 of" not in html
    view = client.get(reverse("wagtail_securelink:view_file", args=[link.token]))
    assert body(view) == PDF


def test_an_image_is_re_encoded(client):
    original = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(original, "PNG")
    original = original.getvalue()
    document = make_document("Photo", filename="photo.png", content=original)
    link = view_link(document, watermark=False)
    verify(client, link, ALICE)
    html = client.get(landing_url(link)).content.decode()
    assert "Page 1 of 1" in html
    response = client.get(
        reverse("wagtail_securelink:page_image", args=[link.token, 1])
    )
    assert response.status_code == 200
    assert response.content != original and original not in response.content
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "JPEG" and image.getpixel((10, 10))[0] > 180


def test_a_type_that_cannot_be_rendered_says_so(client):
    document = make_document("Notes", filename="notes.txt", content=b"secret notes")
    link = view_link(document)
    verify(client, link, ALICE)
    response = client.get(landing_url(link))
    html = response.content.decode()
    assert response.status_code == 200
    assert "cannot be shown on a view-only link" in html
    assert "secret notes" not in html
    image = client.get(reverse("wagtail_securelink:page_image", args=[link.token, 1]))
    assert image.status_code == 404 and b"secret notes" not in image.content


def test_a_malformed_pdf_gets_a_clear_page_and_is_not_rendered_twice(
    client, monkeypatch
):
    document = make_document("Broken", filename="broken.pdf", content=MALFORMED_PDF)
    link = view_link(document)
    verify(client, link, ALICE)
    runs = []
    real_run = subprocess.run
    monkeypatch.setattr(
        subprocess, "run", lambda *a, **k: runs.append(1) or real_run(*a, **k)
    )
    response = client.get(landing_url(link))
    assert response.status_code == 200
    assert "could not be read" in response.content.decode()
    image = client.get(reverse("wagtail_securelink:page_image", args=[link.token, 1]))
    assert image.status_code == 404
    assert "could not be read" in image.content.decode()
    assert len(runs) == 1  # the failure is remembered for this file


def test_a_500_page_pdf_renders_any_page_within_the_memory_limit(client, settings):
    settings.WAGTAIL_SECURELINK_RENDER_MEMORY_MB = 256
    document = make_document("Long", filename="long.pdf", content=make_pdf(500, "P"))
    link = view_link(document)
    verify(client, link, ALICE)
    html = client.get(landing_url(link), {"page": "500"}).content.decode()
    assert "Page 500 of 500" in html and "P 500" in html
    # The worker's own peak, as it reports it (RUSAGE_CHILDREN would count every
    # child this test process ever had).
    meta, _image = rendering._run_worker("pdf", document.file.path, 499, 1.5)
    assert meta["pages"] == 500
    assert 0 < meta["peak_kb"] < 256 * 1024


def test_a_page_past_the_memory_limit_gets_a_clear_page(client, settings):
    # Rendering needs more than 40 MB: the child is stopped, not the site, and the
    # failure is not remembered as the file's (the default limit then renders it).
    settings.WAGTAIL_SECURELINK_RENDER_MEMORY_MB = 40
    document = make_document(
        "Poster", filename="poster.pdf", content=make_pdf(1, "Big", size=(9000, 9000))
    )
    link = view_link(document)
    verify(client, link, ALICE)
    response = client.get(landing_url(link))
    assert response.status_code == 200
    assert "too large or too complex" in response.content.decode()
    settings.WAGTAIL_SECURELINK_RENDER_MEMORY_MB = 512
    assert "Page 1 of 1" in client.get(landing_url(link)).content.decode()


def test_a_render_that_times_out_gets_a_clear_page(client, pdf_document, monkeypatch):
    link = view_link(pdf_document)
    verify(client, link, ALICE)

    def too_slow(command, timeout, **kwargs):
        assert timeout <= 20  # the parent never waits for ever
        raise subprocess.TimeoutExpired(command, timeout)

    monkeypatch.setattr(subprocess, "run", too_slow)
    response = client.get(landing_url(link))
    assert response.status_code == 200
    assert "too large or too complex" in response.content.decode()


def test_a_render_stopped_by_the_limits_is_remembered_for_an_hour(
    client, pdf_document, monkeypatch, settings
):
    # One PDF whose pages run into the time limit held a web worker for the whole
    # limit on every page request: the failure is remembered for the file and the
    # limits, so the next requests answer at once; an hour later, or under other
    # limits, the worker tries again.
    link = view_link(pdf_document)
    verify(client, link, ALICE)
    runs = []

    def too_slow(command, timeout, **kwargs):
        runs.append(command)
        raise subprocess.TimeoutExpired(command, timeout)

    monkeypatch.setattr(subprocess, "run", too_slow)
    page = reverse("wagtail_securelink:page_image", args=[link.token, 2])
    with time_machine.travel("2026-12-07 10:00", tick=False):
        assert "too large or too complex" in client.get(landing_url(link)).text
        for _ in range(5):  # another page, the same page, the page images
            assert client.get(page).status_code == 404
            client.get(landing_url(link), {"page": "3"})
        assert len(runs) == 1
    with time_machine.travel("2026-12-07 10:59", tick=False):
        client.get(page)
        assert len(runs) == 1
    with time_machine.travel("2026-12-07 11:01", tick=False):
        client.get(page)
        assert len(runs) == 2
        settings.WAGTAIL_SECURELINK_RENDER_TIMEOUT_SECONDS = 19  # other limits
        client.get(page)
        assert len(runs) == 3


def test_the_worker_runs_with_limits_and_without_the_environment(
    pdf_document, monkeypatch
):
    seen = {}
    real_run = subprocess.run

    def spy(command, **kwargs):
        seen.update(command=command, env=kwargs["env"])
        return real_run(command, **kwargs)

    monkeypatch.setenv("DJANGO_SECRET_KEY", "not-for-the-worker")
    monkeypatch.setattr(subprocess, "run", spy)
    rendering.get_page(pdf_document, 1)
    assert seen["command"][1] == "-I"
    assert seen["command"][-2:] == [str(512 * 1024 * 1024), "15"]
    assert "DJANGO_SECRET_KEY" not in seen["env"]


def test_renders_are_cached_per_version_and_a_new_version_is_rendered_afresh(
    client, pdf_document, django_capture_on_commit_callbacks
):
    link = view_link(pdf_document)
    verify(client, link, ALICE)
    assert "Hello 1" in client.get(landing_url(link)).content.decode()
    old_folder = f"{rendering.RENDERS_DIR}/{pdf_document.pk}/"
    old_key = rendering.version_key(pdf_document)
    assert private_storage().exists(old_folder + old_key + "/z100-p1.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        pdf_document.file.save("contract.pdf", ContentFile(make_pdf(2, "Second")))
        pdf_document._set_document_file_metadata()
        pdf_document.save()
    html = client.get(landing_url(link)).content.decode()
    assert "Second 1" in html and "Page 1 of 2" in html
    assert not private_storage().exists(old_folder + old_key + "/z100-p1.jpg")


def test_rendered_pages_are_recorded_as_views(visitor):
    client, link = visitor
    client.get(reverse("wagtail_securelink:page_image", args=[link.token, 1]))
    event = AccessEvent.objects.filter(link=link, event="viewed").get()
    assert event.detail["rendered"] is True and event.detail["page"] == 1
    assert event.email == ALICE


def test_the_longest_render_is_the_wall_clock_timeout(settings):
    settings.WAGTAIL_SECURELINK_RENDER_TIMEOUT_SECONDS = 15
    assert rendering.longest_render() == 17
