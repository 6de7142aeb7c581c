"""View-only links: time to the first page and the cost of a watermark.

Runs the real views through Django's test client on a throw-away SQLite database and a
temporary MEDIA_ROOT (tests.settings), so it needs no server:

* first page of a 100-page PDF, cold (nothing rendered: the item page renders page 1
  in the worker, then the browser fetches the watermarked image) and warm (the same
  two requests with the render cached);
* watermark cost per page served from cache: ``stamp_image`` alone (wall and CPU
  time), and the page-image request with and without a watermark;
* a 500-page PDF and a malformed one: time, and the worker's peak memory.

Usage: ``python benchmarks/view_only.py`` (``make bench`` runs it too). Prints a
markdown table.
"""

import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))


def median_ms(samples):
    return f"{statistics.median(samples) * 1000:.0f} ms"


def main():
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    media = tempfile.mkdtemp(prefix="securelink-bench-")
    settings.MEDIA_ROOT = media
    settings.ALLOWED_HOSTS = ["*"]
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        from tests.factories import make_document, make_link
        from tests.pdfs import MALFORMED_PDF, make_pdf
        from wagtail_securelink.viewer import rendering, watermarks

        def open_first_page(client, link):
            started = time.perf_counter()
            page = client.get(reverse("wagtail_securelink:landing", args=[link.token]))
            assert page.status_code == 200 and b"Page 1 of" in page.content
            image = client.get(
                reverse("wagtail_securelink:page_image", args=[link.token, 1])
            )
            assert image.status_code == 200
            return time.perf_counter() - started

        rows = []
        cold, warm = [], []
        for round_ in range(ROUNDS):
            document = make_document(
                f"Hundred {round_}",
                filename="hundred.pdf",
                content=make_pdf(100, f"Round {round_} page"),
            )
            link = make_link(document, audience="anyone", role="view")
            client = Client()
            cold.append(open_first_page(client, link))
            warm.append(open_first_page(client, link))
        rows.append(
            (
                "First page of a 100-page PDF, cold (render + page)",
                median_ms(cold),
                "≤ 1 s",
            )
        )
        rows.append(
            ("First page of a 100-page PDF, warm (cached)", median_ms(warm), "≤ 0.2 s")
        )

        page = rendering.get_page(document, 1)
        text = "alice.long-name@example-company.com · 2026-12-02 · L0000042"
        wall, cpu = [], []
        for _ in range(50):
            w0, c0 = time.perf_counter(), time.process_time()
            watermarks.stamp_image(page.image, text)
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
        rows.append(("Watermark one cached page (wall)", median_ms(wall), "≤ 20 ms"))
        rows.append(("Watermark one cached page (CPU)", median_ms(cpu), "≤ 20 ms"))

        image_url = reverse("wagtail_securelink:page_image", args=[link.token, 1])
        timings = {}
        # The policy's watermark would stamp the "no watermark" side too (a link may
        # not switch it off): turn it off for the comparison.
        from wagtail_securelink.models import SecureLinkPolicy

        policy = SecureLinkPolicy.load()
        policy.watermark_by_default = False
        policy.save()
        for flag in (False, True):
            link.watermark = flag
            link.save(update_fields=["watermark"])
            samples = []
            for _ in range(20):
                started = time.perf_counter()
                assert client.get(image_url).status_code == 200
                samples.append(time.perf_counter() - started)
            timings[flag] = samples
        rows.append(("Page image request, no watermark", median_ms(timings[False]), ""))
        rows.append(("Page image request, watermarked", median_ms(timings[True]), ""))

        for label, content, expect in (
            ("500-page PDF, page 500", make_pdf(500, "Long"), b"Page 500 of 500"),
            ("Malformed PDF", MALFORMED_PDF, b"could not be read"),
        ):
            document = make_document(label, filename="x.pdf", content=content)
            link = make_link(document, audience="anyone", role="view")
            started = time.perf_counter()
            response = Client().get(
                reverse("wagtail_securelink:landing", args=[link.token]),
                {"page": "500"},
            )
            assert response.status_code == 200 and expect in response.content
            rows.append(
                (label, median_ms([time.perf_counter() - started]), "clear page")
            )
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows.append(
            ("Peak memory of any render worker", f"{peak:.0f} MB", "≤ 512 MB limit")
        )
    finally:
        connection.creation.destroy_test_db(":memory:", verbosity=0)
        shutil.rmtree(media, ignore_errors=True)

    load = os.getloadavg()[0]
    print(f"View-only links, {ROUNDS} rounds, {os.cpu_count()} CPUs, load {load:.1f}\n")
    print("| Measure | Median | Target |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
