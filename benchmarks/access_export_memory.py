# ruff: noqa: E402 (Django is set up before the imports that need it)
"""Memory of the *Who has access now* export at 10,000 and 100,000 rows.

Run: ``python -m benchmarks.access_export_memory [SIZE ...]`` (a throw-away SQLite database in a
temporary directory, the benchmark site's settings). For each size it fills the
database through ``bulk_create``, then consumes the CSV stream and builds the XLSX
file the way the admin view does, under ``tracemalloc``, and prints the peak of
Python memory allocated during the export, the SQL statements run and the time. Flat
memory means the two peaks are about the same whatever the number of rows.
"""

import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

# The benchmark site's settings start from the example site's, as benchmarks/run.py runs them.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "example_site"))

os.environ.setdefault("BENCH_DIR", tempfile.mkdtemp(prefix="securelink-export-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import django

django.setup()

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.documents import get_document_model
from wagtail.models import Collection

from wagtail_securelink.core.tokens import new_link_key
from wagtail_securelink.models import Recipient, ShareLink
from wagtail_securelink.sharing import access_export

SIZES = [int(n) for n in sys.argv[1:]] or [10_000, 100_000]
LINKS = 100


def fill(total: int, owner, document) -> None:
    links = list(ShareLink.objects.all()[:LINKS])
    if not links:
        links = ShareLink.objects.bulk_create(
            [
                ShareLink(
                    key=new_link_key(),
                    target_type="document",
                    document=document,
                    target_title=f"{document.title} {n}",
                    created_by=owner,
                )
                for n in range(LINKS)
            ]
        )
    start = Recipient.objects.count()
    Recipient.objects.bulk_create(
        [
            Recipient(link=links[i % LINKS], email=f"person{i}@example.com")
            for i in range(start, total)
        ],
        batch_size=5000,
    )


def measure(label, run) -> str:
    tracemalloc.start()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        size = run()
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (
        f"| {label} | {size / 1e6:.1f} MB | {peak / 1e6:.2f} MB | "
        f"{len(queries)} | {elapsed:.1f} s |"
    )


def csv_export(user):
    return sum(len(line) for line in access_export.csv_stream(user))


def xlsx_export(user):
    with access_export.xlsx_file(user) as output:
        output.seek(0, 2)
        return output.tell()


def main():
    call_command("migrate", verbosity=0)
    User = get_user_model()
    owner = User.objects.create_superuser("bench", "bench@example.com", "x")
    Document = get_document_model()
    document = Document.objects.create(
        title="Benchmark", collection=Collection.get_first_root_node(), file="b.pdf"
    )
    print("| Export | Output | Peak Python memory | SQL statements | Time |")
    print("|---|---|---|---|---|")
    for total in SIZES:
        fill(total, owner, document)
        print(measure(f"CSV, {total:,} rows", lambda: csv_export(owner)), flush=True)
        print(measure(f"XLSX, {total:,} rows", lambda: xlsx_export(owner)), flush=True)


if __name__ == "__main__":
    main()
