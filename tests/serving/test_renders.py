"""serving/renders.py: what one link and one client may cost the site in page renders.

The file under test is ``make_slow_pdf``: 3 kB whose page keeps the renderer busy to
its time limit. The render path is the real one (the worker process, its limits, the
failure record, the leases in the database); a spy on ``subprocess.run`` that calls
the real function counts the workers started. The time limit is lowered to 1 s.
"""

import subprocess
import threading

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from wagtail.documents import get_document_model

from tests.factories import make_collection, make_document, make_link
from tests.helpers import landing_url, verified, visitor_url
from tests.pdfs import make_pdf, make_slow_pdf
from wagtail_securelink.models import AccessEvent

BOB = "bob@example.com"
OUTSIDER = "outsider@example.org"


@pytest.fixture
def limits(settings):
    settings.WAGTAIL_SECURELINK_RENDER_TIMEOUT_SECONDS = 1
    settings.WAGTAIL_SECURELINK_RENDER_WAIT_SECONDS = 0
    return settings


class Workers(list):
    """The workers started: one ``threading.Event`` a run, set when it has finished;
    ``started`` is set as the first one starts."""

    def __init__(self):
        super().__init__()
        self.started = threading.Event()


@pytest.fixture
def workers(monkeypatch):
    runs = Workers()
    real_run = subprocess.run

    def spy(command, **kwargs):
        finished = threading.Event()
        runs.append(finished)
        runs.started.set()
        try:
            return real_run(command, **kwargs)
        finally:
            finished.set()

    monkeypatch.setattr(subprocess, "run", spy)
    return runs


def page_image(link, document, number=1, **query):
    return visitor_url("collection_page_image", link, document.pk, number), query


def upload(client, link, name, content):
    response = client.post(
        visitor_url("upload", link), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 303
    return get_document_model().objects.get(title=name.removesuffix(".pdf"))


@pytest.mark.django_db
def test_a_slow_pdf_costs_one_render_then_the_link_budget_refuses_at_once(
    client, limits, workers
):
    limits.WAGTAIL_SECURELINK_RENDER_SECONDS_PER_LINK = "1/h"
    folder = make_collection("Inbox")
    link = make_link(folder, [OUTSIDER], role="edit")
    verified(client, link, OUTSIDER)
    with time_machine.travel("2026-12-07 10:00", tick=False):
        slow = upload(client, link, "slow.pdf", make_slow_pdf())
        response = client.get(*page_image(link, slow))
        assert response.status_code == 404
        assert "too large or too complex" in response.text
        assert len(workers) == 1
        # The file is remembered as past the limits: its pages, any zoom, its viewer,
        # answer from that record, without a worker and without spending budget.
        for number, zoom in [(1, 100), (2, 100), (1, 200), (3, 50)]:
            again = client.get(*page_image(link, slow, number, zoom=zoom))
            assert again.status_code == 404
        assert len(workers) == 1
        # A new slow file is a new render: the link's render seconds are spent, so
        # the answer is a prompt 429 that says when, and no worker starts.
        other = upload(client, link, "slower.pdf", make_slow_pdf(mark="again"))
        limited = client.get(*page_image(link, other))
        assert limited.status_code == 429
        assert 0 < int(limited["Retry-After"]) <= 3600
        assert "Too many pages prepared" in limited.text
        assert len(workers) == 1
        event = AccessEvent.objects.filter(link=link, event="rate_limited").get()
        assert event.detail["scope"] == "link"
    with time_machine.travel("2026-12-07 11:00:01", tick=False):
        assert client.get(*page_image(link, other)).status_code == 404
        assert len(workers) == 2  # a new window, a new budget


@pytest.mark.django_db
def test_another_link_is_served_while_the_first_has_spent_its_budget(
    client, limits, workers
):
    limits.WAGTAIL_SECURELINK_RENDER_SECONDS_PER_LINK = "1/h"
    limits.WAGTAIL_SECURELINK_RENDER_SECONDS_PER_NETWORK = "1/h"
    folder = make_collection("Inbox")
    link = make_link(folder, [OUTSIDER], role="edit")
    verified(client, link, OUTSIDER)
    client.get(*page_image(link, upload(client, link, "slow.pdf", make_slow_pdf())))
    refused = client.get(
        *page_image(link, upload(client, link, "b.pdf", make_slow_pdf(mark="b")))
    )
    assert refused.status_code == 429
    # Bob's render of a plain file gets room: the worker runs at nice 10, so on a
    # loaded machine one second can be too little for it.
    limits.WAGTAIL_SECURELINK_RENDER_TIMEOUT_SECONDS = 30
    report = make_document("Report", filename="report.pdf", content=make_pdf(3, "Hi"))
    theirs = make_link(report, [BOB], role="view")
    bob = verified(Client(REMOTE_ADDR="203.0.113.9"), theirs, BOB)
    html = bob.get(landing_url(theirs), {"page": "2"})
    assert (
        html.status_code == 200 and "Page 2 of 3" in html.text and "Hi 2" in html.text
    )
    image = bob.get(visitor_url("page_image", theirs, 2))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert len(workers) == 2  # the slow file's one render, and Bob's page


def threaded_get(client, url, query=None, **environ):
    """``client``'s session in another thread and from ``environ``'s address."""
    result = {}

    def run():
        browser = with_cookies(client, environ["REMOTE_ADDR"])
        try:
            result["response"] = browser.get(url, query or {})
        except Exception as exc:  # reported by the test
            result["error"] = repr(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def with_cookies(client, address):
    """Another tab of ``client``'s browser, from ``address``."""
    browser = Client(REMOTE_ADDR=address)
    browser.cookies = client.cookies
    return browser


def needs_a_shared_database():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("needs a database file that several connections share")


@pytest.mark.django_db(transaction=True)
def test_a_link_rendering_answers_its_other_requests_at_once_and_others_normally(
    client, limits, workers, root_collection
):
    needs_a_shared_database()
    # The slow render holds its worker for this long; Bob's plain page must render
    # within it while it runs (the worker runs at nice 10: room for a loaded machine).
    limits.WAGTAIL_SECURELINK_RENDER_TIMEOUT_SECONDS = 8
    slow = make_document("Slow", filename="slow.pdf", content=make_slow_pdf())
    link = make_link(slow, [OUTSIDER], role="view")
    verified(client, link, OUTSIDER)
    first, result = threaded_get(
        client, visitor_url("page_image", link, 1), REMOTE_ADDR="198.51.100.1"
    )
    assert workers.started.wait(10)  # the spy's event: the slow worker runs
    render_finished = workers[0]
    # The same link from another network, another page: no second worker, a 503 at
    # once that the browser reloads by itself.
    busy = with_cookies(client, "192.0.2.1").get(landing_url(link), {"page": "2"})
    assert not render_finished.is_set()
    assert busy.status_code == 503
    assert busy["Retry-After"] == "5"
    assert "This page is being prepared" in busy.text
    assert '<meta http-equiv="refresh" content="5">' in busy.text
    # Another link's visitor gets their page, rendered, while the slow render runs.
    report = make_document("Report", filename="report.pdf", content=make_pdf(2, "Hi"))
    theirs = make_link(report, [BOB], role="view")
    bob = verified(Client(REMOTE_ADDR="203.0.113.9"), theirs, BOB)
    page = bob.get(landing_url(theirs))
    assert not render_finished.is_set()
    assert page.status_code == 200 and "Hi 1" in page.text
    first.join(30)
    assert result["response"].status_code == 404
    assert len(workers) == 2  # the slow page, and Bob's


@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_for_one_page_start_one_render(
    client, limits, workers, root_collection
):
    needs_a_shared_database()
    # Only the page's own lease stands here: no bound per link or network.
    limits.WAGTAIL_SECURELINK_RENDER_CONCURRENT_PER_LINK = 0
    limits.WAGTAIL_SECURELINK_RENDER_CONCURRENT_PER_NETWORK = 0
    slow = make_document("Slow", filename="slow.pdf", content=make_slow_pdf())
    link = make_link(slow, [OUTSIDER], role="view")
    verified(client, link, OUTSIDER)
    barrier = threading.Barrier(6, timeout=10)
    statuses, errors = [], []

    def tab(number):
        browser = with_cookies(client, f"198.51.{100 + number}.1")
        try:
            barrier.wait()
            statuses.append(browser.get(visitor_url("page_image", link, 1)).status_code)
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=tab, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(workers) == 1
    # One render's failure (404), the others told "being prepared" (503) at once, or
    # answered from the failure once it was recorded.
    assert sorted(statuses)[-1] == 503 or statuses.count(404) == 6
    assert statuses.count(404) >= 1 and set(statuses) <= {404, 503}


@pytest.mark.django_db(transaction=True)
def test_a_request_for_a_page_being_rendered_waits_for_that_render(
    client, limits, workers, root_collection
):
    needs_a_shared_database()
    limits.WAGTAIL_SECURELINK_RENDER_WAIT_SECONDS = 10
    slow = make_document("Slow", filename="slow.pdf", content=make_slow_pdf())
    link = make_link(slow, [OUTSIDER], role="view")
    verified(client, link, OUTSIDER)
    first, result = threaded_get(
        client, visitor_url("page_image", link, 1), REMOTE_ADDR="198.51.100.1"
    )
    assert workers.started.wait(10)  # the spy's event: the slow worker runs
    # Another link to the same file, the same page: it waits for the render in
    # progress and shows its outcome, without a worker of its own.
    theirs = make_link(slow, [BOB], role="view")
    bob = verified(Client(REMOTE_ADDR="203.0.113.9"), theirs, BOB)
    page = bob.get(landing_url(theirs))
    first.join(30)
    assert page.status_code == 200 and "too large or too complex" in page.text
    assert result["response"].status_code == 404
    assert len(workers) == 1


@pytest.mark.django_db(transaction=True)
def test_one_file_keeps_one_worker_busy_whatever_page_and_link_ask_for_it(
    client, limits, workers, root_collection
):
    needs_a_shared_database()
    limits.WAGTAIL_SECURELINK_RENDER_TIMEOUT_SECONDS = 2
    slow = make_document("Slow", filename="slow.pdf", content=make_slow_pdf())
    link = make_link(slow, [OUTSIDER], role="view")
    verified(client, link, OUTSIDER)
    first, result = threaded_get(
        client, visitor_url("page_image", link, 1), REMOTE_ADDR="198.51.100.1"
    )
    assert workers.started.wait(10)  # the spy's event: the slow worker runs
    render_finished = workers[0]
    # Another link to the same file, from another network, another page: neither
    # the link's nor the network's bound stands here, the file's lease does.
    theirs = make_link(slow, [BOB], role="view")
    bob = verified(Client(REMOTE_ADDR="203.0.113.9"), theirs, BOB)
    busy = bob.get(visitor_url("page_image", theirs, 2))
    assert not render_finished.is_set()
    assert busy.status_code == 503 and busy["Retry-After"] == "5"
    assert "This page is being prepared" in busy.text
    first.join(30)
    assert result["response"].status_code == 404
    assert len(workers) == 1
    # The first render's failure is the file's: the page Bob asked for answers from it.
    again = bob.get(visitor_url("page_image", theirs, 2))
    assert again.status_code == 404 and "too large or too complex" in again.text
    assert len(workers) == 1


@pytest.mark.django_db(transaction=True)
def test_past_the_site_cap_new_renders_wait_and_everything_else_is_served(
    client, limits, workers, root_collection
):
    needs_a_shared_database()
    limits.WAGTAIL_SECURELINK_RENDER_TIMEOUT_SECONDS = 3
    limits.WAGTAIL_SECURELINK_RENDER_CONCURRENT_SITE = 1
    report = make_document("Report", filename="report.pdf", content=make_pdf(3, "Hi"))
    theirs = make_link(report, [BOB], role="view")
    bob = verified(Client(REMOTE_ADDR="203.0.113.9"), theirs, BOB)
    assert bob.get(landing_url(theirs)).status_code == 200  # page 1, rendered now
    contract = make_document("Contract", filename="contract.pdf", content=make_pdf())
    carols = make_link(contract, ["carol@example.net"], role="download")
    carol = verified(Client(REMOTE_ADDR="192.0.2.77"), carols, "carol@example.net")
    slow = make_document("Slow", filename="slow.pdf", content=make_slow_pdf())
    link = make_link(slow, [OUTSIDER], role="view")
    verified(client, link, OUTSIDER)
    workers.started.clear()
    first, result = threaded_get(
        client, visitor_url("page_image", link, 1), REMOTE_ADDR="198.51.100.1"
    )
    assert workers.started.wait(10)  # the spy's event: the slow worker runs
    render_finished = workers[1]
    # The site's one render place is taken: Bob's new page is "being prepared"
    # (another link, another network, another file: only the site's bound says so).
    busy = bob.get(landing_url(theirs), {"page": "2"})
    assert busy.status_code == 503 and busy["Retry-After"] == "5"
    assert '<meta http-equiv="refresh" content="5">' in busy.text
    # A page rendered before, its image, and a file download need no render place.
    page = bob.get(landing_url(theirs))
    assert page.status_code == 200 and "Hi 1" in page.text
    image = bob.get(visitor_url("page_image", theirs, 1))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    download = carol.get(visitor_url("download", carols))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == make_pdf()
    assert not render_finished.is_set()
    assert len(workers) == 2  # Bob's first page, the slow one
    first.join(30)
    assert result["response"].status_code == 404
    # The place is free again: Bob's page 2 renders.
    page = bob.get(landing_url(theirs), {"page": "2"})
    assert page.status_code == 200 and "Hi 2" in page.text
    assert len(workers) == 3
