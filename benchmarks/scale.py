# ruff: noqa: E402 (Django is set up before the imports that need it)
"""``make bench-scale``: the admin pages and the audit sealer at a busy site's size (SPEC §9).

Needs PostgreSQL: ``scripts/services.sh run python benchmarks/scale.py`` (the Makefile
target does that). Two sites live side by side in one throw-away database, one schema
each, so that a page can be timed on both in alternating rounds from one process:

* small: 300 specific-people links on 60 documents, 150 addresses, 4 sharers, 10,000
  events;
* large: 20,000 documents, 100,000 specific-people links, 50,000 distinct addresses,
  10 sharers, 1,000,000 events (``SCALE_EVENTS`` and friends shrink it while
  developing).

Like with like: each search and filter is chosen to show the same number of rows on
both sites, so that a ratio measures the table's size and not a longer page. A search
matches the same rows at both sizes (``Contract 000012``: 5 links; ``Contract 00001``:
50; ``person123@``: one person) or fills the page at both (``person1``: 61 people and
11,111), and the small site's sharers are few enough that one sharer's active links fill
a page there too (50 of 75; 6,666 of 10,000 on the large site).

Rows are written in bulk (``bulk_create`` for the models whose rows Python builds,
``INSERT ... SELECT generate_series`` for the events), so building the large site
takes a minute or two. Each page is requested through Django's test client in this
process as a superuser, the example site's settings with DEBUG off; the table shows the
median of ``SCALE_ROUNDS`` rounds (small and large alternate within a round) and the
number of SQL statements at each size.

Sealing: a third schema gets ``SCALE_SEAL`` unsealed events (one row per backlog size,
e.g. ``100000,1000000``), and ``chain.seal_chain()`` seals them in a child process
which reports events per second and its peak resident memory (``getrusage``): flat
memory means the peak does not grow with the backlog. Then ``securelink_purge``'s
event purge removes the older half of that chain and reports its rate.

Ten million events (``SCALE_ONLY=ten``, or ``SCALE_TEN_TOO=1`` after the rest; the
count is ``SCALE_TEN``): the large site's links and people with ten million unsealed
events. A child seals them all (a real chain), verifies it as
``securelink_verify_audit`` does, times the activity report, its person filter and the
person page, purges the oldest tenth and verifies what is left. About 40 minutes here.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "example_site"))
sys.path.insert(0, str(REPO))
os.environ.setdefault("BENCH_DIR", tempfile.mkdtemp(prefix="securelink-scale-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
# The schema this process works in; ``use_schema`` moves it.
SCHEMA = {"name": os.environ.get("SCALE_SCHEMA", "public")}

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("bench-scale needs DATABASE_URL=postgres://… (scripts/services.sh run …)")

import django
from django.db.backends.signals import connection_created


def _search_path(sender, connection, **kwargs):
    # Every new connection (the example site may close them per request) lands in the
    # schema being measured; ``public`` holds only the pg_trgm extension.
    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path TO "{SCHEMA["name"]}", public')


connection_created.connect(_search_path)
django.setup()

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Collection

from wagtail_securelink.core.tokens import new_link_key
from wagtail_securelink.models import AccessEvent, Grant, Recipient, ShareLink

ROUNDS = int(os.environ.get("SCALE_ROUNDS", "5"))
PER_ROUND = int(os.environ.get("SCALE_REPEAT", "3"))
SIZES = {
    "small": {
        "documents": 60,
        "links": 300,
        "people": 150,
        "sharers": 4,
        "events": 10_000,
    },
    "large": {
        "documents": int(os.environ.get("SCALE_DOCUMENTS", "20000")),
        "links": int(os.environ.get("SCALE_LINKS", "100000")),
        "people": int(os.environ.get("SCALE_PEOPLE", "50000")),
        "sharers": 10,
        "events": int(os.environ.get("SCALE_EVENTS", "1000000")),
    },
}
SEAL_BACKLOGS = [
    int(n) for n in os.environ.get("SCALE_SEAL", "100000,1000000").split(",") if n
]
EVENT_TYPES = ["viewed", "downloaded", "code_requested", "code_sent", "verified"]


def use_schema(name: str) -> None:
    SCHEMA["name"] = name
    connections.close_all()


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def create_schema(name: str) -> None:
    use_schema("public")
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        cursor.execute(f'CREATE SCHEMA "{name}"')
        # In public, so that every schema's migrations find it on their search path.
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    use_schema(name)
    call_command("migrate", verbosity=0, interactive=False)


def insert_events(count: int, *, links: int, people: int, sealed: bool) -> None:
    """``count`` events in id order, spread over the last year, on links 1..links (the
    recipient of link n is its only one, address n % people)."""
    seal = (
        "n, md5(n::text) || md5((n + 1)::text), md5(n::text) || md5(n::text)"
        if sealed
        else "NULL, '', ''"
    )
    types = "ARRAY[" + ",".join(f"'{t}'" for t in EVENT_TYPES) + "]"
    with connection.cursor() as cursor:
        # Table names and constants only in the f-string; the numbers are parameters.
        cursor.execute(
            f"""
            INSERT INTO {table(AccessEvent)} (created_at, event, link_id, recipient_id,
                user_id, email, ip_address, user_agent, detail, personal_digest,
                seq, prev_hash, hash)
            SELECT now() - interval '365 days' * (1 - n::float / %(count)s),
                ({types})[1 + n %% {len(EVENT_TYPES)}],
                l.id, r.id, NULL, r.email, '192.0.2.0', 'bench/1.0', '{{}}'::jsonb,
                md5(r.email), {seal}
            FROM generate_series(1, %(count)s) AS n
            JOIN {table(ShareLink)} l ON l.id = (SELECT min(id) FROM {table(ShareLink)})
                + (n::bigint * 7919) %% %(links)s
            JOIN {table(Recipient)} r ON r.link_id = l.id
            ORDER BY n
            """,  # noqa: S608
            {"count": count, "links": links},
        )
        cursor.execute(f"ANALYZE {table(AccessEvent)}")


def build(name: str, size: dict, *, sealed: bool = True) -> None:
    started = time.perf_counter()
    create_schema(name)
    User = get_user_model()
    admin = User.objects.create_superuser("admin", "admin@example.org", "admin")
    sharers = User.objects.bulk_create(
        [
            User(username=f"sharer{n}", email=f"sharer{n}@example.org", is_staff=True)
            for n in range(size["sharers"])
        ]
    )
    root = Collection.get_first_root_node()
    Document = get_document_model()
    documents = Document.objects.bulk_create(
        [
            Document(
                title=f"Contract {n:06d}",
                file=f"documents/contract-{n:06d}.pdf",
                collection=root,
                file_size=1000,
            )
            for n in range(size["documents"])
        ],
        batch_size=5000,
    )
    links = ShareLink.objects.bulk_create(
        [
            ShareLink(
                key=new_link_key(),
                target_type="document",
                document=documents[n % len(documents)],
                target_title=documents[n % len(documents)].title,
                audience="specific",
                created_by=sharers[n % len(sharers)],
                expires_at=None if n % 3 else timezone.now(),
            )
            for n in range(size["links"])
        ],
        batch_size=5000,
    )
    recipients = Recipient.objects.bulk_create(
        [
            Recipient(
                link=link,
                email=f"person{n % size['people']}@example.com",
                added_by=link.created_by,
            )
            for n, link in enumerate(links)
        ],
        batch_size=5000,
    )
    Grant.objects.bulk_create(
        [
            Grant(link_id=r.link_id, recipient=r, secret_hash=f"{r.pk:064d}")
            for r in recipients[::5]
        ],
        batch_size=5000,
    )
    insert_events(
        size["events"], links=size["links"], people=size["people"], sealed=sealed
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    assert admin.pk
    print(
        f"built {name}: {size} in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
        flush=True,
    )


def pages() -> list[tuple[str, str]]:
    sharer = get_user_model().objects.get(username="sharer1")
    people = reverse("wagtail_securelink_people:index")
    links = reverse("wagtail_securelink_sharelink:index")
    activity = reverse("wagtail_securelink_admin:activity")
    # Every document has five links at both sizes (links = 5 × documents).
    document = get_document_model().objects.order_by("pk").first()
    return [
        ("Dashboard", reverse("wagtailadmin_home")),
        ("Documents listing", reverse("wagtaildocs:index")),
        (
            "Manage access (a document with 5 links)",
            reverse("wagtail_securelink_admin:manage_document", args=[document.pk]),
        ),
        ("People index", people),
        ("People search ?q=person1 (a full page)", f"{people}?q=person1"),
        ("People search ?q=person123@ (one person)", f"{people}?q=person123%40"),
        ("Shared links index", links),
        (
            "Shared links search ?q=Contract 000012 (5 links)",
            f"{links}?q=Contract+000012",
        ),
        (
            "Shared links search ?q=Contract 00001 (50 links)",
            f"{links}?q=Contract+00001",
        ),
        (
            "Shared links active, by sharer",
            f"{links}?status=active&created_by={sharer.pk}",
        ),
        ("Activity report", activity),
        (
            "Activity report ?email=person123@example.com",
            f"{activity}?email=person123%40example.com",
        ),
        (
            "Person page",
            reverse("wagtail_securelink_admin:person")
            + "?email=person123%40example.com",
        ),
    ]


def timed(client: Client, url: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed * 1000, len(queries)


def measure_pages() -> list[str]:
    clients, urls = {}, {}
    for name in SIZES:
        use_schema(name)
        client = Client()
        client.force_login(get_user_model().objects.get(username="admin"))
        clients[name], urls[name] = client, pages()
        for _label, url in urls[name]:
            timed(client, url)  # warm: templates, policy row, the database's caches
    times = {(name, i): [] for name in SIZES for i in range(len(urls["small"]))}
    counts = {}
    for _round in range(ROUNDS):
        for name in SIZES:
            use_schema(name)
            for i, (_label, url) in enumerate(urls[name]):
                for _ in range(PER_ROUND):
                    ms, n = timed(clients[name], url)
                    times[name, i].append(ms)
                    counts[name, i] = n
    rows = [
        "| page | small (ms) | large (ms) | ratio | queries small / large |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for i, (label, _url) in enumerate(urls["small"]):
        small = statistics.median(times["small", i])
        large = statistics.median(times["large", i])
        rows.append(
            f"| {label} | {small:.0f} | {large:.0f} | {large / small:.1f}× | "
            f"{counts['small', i]} / {counts['large', i]} |"
        )
    return rows


# Sealing, in a child process so that its peak memory is its own ---------------------


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's ``VmHWM`` belongs to the process
    image, while ``getrusage``'s maximum survives ``exec`` and so starts at the
    parent's size (the parent that built the large site is large)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seal_child(backlog: int) -> dict:
    """Runs in the child: seal the schema's backlog, then purge the older half."""
    from wagtail_securelink.audit import chain
    from wagtail_securelink.operations import retention

    before = peak_rss_mb()
    started = time.perf_counter()
    chain.seal_chain()
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    left = AccessEvent.objects.filter(seq__isnull=True).count()
    middle = AccessEvent.objects.order_by("-created_at").values_list("created_at")[
        backlog // 2
    ][0]
    started = time.perf_counter()
    purged = retention.purge_events(middle)
    purge_seconds = time.perf_counter() - started
    problem = chain.verify_chain() if backlog <= 100_000 else "not checked"
    return {
        "backlog": backlog,
        "seconds": seconds,
        "rate": backlog / seconds,
        "unsealed_left": left,
        "rss_before_mb": before,
        "rss_peak_mb": peak,
        "purged": purged,
        "purge_rate": purged / purge_seconds if purge_seconds else 0,
        "verify": str(problem),
    }


def measure_sealing() -> list[str]:
    rows = [
        "| sealing backlog | events/s | seconds | peak RSS (MB, before → after) | "
        "purge of half (events/s) | chain after purge |",
        "| ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for backlog in SEAL_BACKLOGS:
        create_schema("seal")
        User = get_user_model()
        User.objects.create_user("sharer0")
        link = ShareLink.objects.create(
            key=new_link_key(), target_type="document", target_title="Sealed"
        )
        Recipient.objects.create(link=link, email="person0@example.com")
        insert_events(backlog, links=1, people=1, sealed=False)
        connections.close_all()
        child = subprocess.run(
            [sys.executable, __file__, "--seal-child", str(backlog)],
            env={**os.environ, "SCALE_SCHEMA": "seal"},
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if child.returncode:
            print(child.stderr, file=sys.stderr)
            rows.append(f"| {backlog:,} | failed (see stderr) | | | | |")
            continue
        r = json.loads(child.stdout.strip().splitlines()[-1])
        rows.append(
            f"| {backlog:,} | {r['rate']:,.0f} | {r['seconds']:.1f} | "
            f"{r['rss_before_mb']:.0f} → {r['rss_peak_mb']:.0f} | "
            f"{r['purge_rate']:,.0f} ({r['purged']:,} events) | {r['verify']} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


# Ten million events: the large site's links and people with TEN_EVENTS events -----------

TEN_EVENTS = int(os.environ.get("SCALE_TEN", "10000000"))


def ten_child() -> dict:
    """Runs in the child, in the "ten" schema: seal the whole backlog (a real chain),
    verify it, time the event-reading pages, purge the oldest tenth, verify again."""
    from wagtail_securelink.audit import chain
    from wagtail_securelink.operations import retention

    result = {"events": AccessEvent.objects.count()}
    started = time.perf_counter()
    result["sealed"] = chain.seal_chain()
    result["seal_seconds"] = time.perf_counter() - started
    result["seal_peak_mb"] = peak_rss_mb()
    started = time.perf_counter()
    result["verify"] = str(chain.verify_chain() or "chain intact")
    result["verify_seconds"] = time.perf_counter() - started
    result["verify_peak_mb"] = peak_rss_mb()
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    activity = reverse("wagtail_securelink_admin:activity")
    person = reverse("wagtail_securelink_admin:person")
    result["pages"] = []
    for label, url in [
        ("Activity report", activity),
        (
            "Activity report ?email=person123@example.com",
            f"{activity}?email=person123%40example.com",
        ),
        ("Person page", f"{person}?email=person123%40example.com"),
    ]:
        timed(client, url)
        runs = [timed(client, url) for _ in range(ROUNDS * PER_ROUND)]
        result["pages"].append(
            (label, statistics.median(ms for ms, _ in runs), runs[-1][1])
        )
    cutoff = AccessEvent.objects.order_by("created_at").values_list("created_at")[
        result["events"] // 10
    ][0]
    started = time.perf_counter()
    result["purged"] = retention.purge_events(cutoff)
    result["purge_seconds"] = time.perf_counter() - started
    result["purge_peak_mb"] = peak_rss_mb()
    started = time.perf_counter()
    result["verify_after_purge"] = str(chain.verify_chain() or "chain intact")
    result["verify_after_seconds"] = time.perf_counter() - started
    result["left"] = AccessEvent.objects.count()
    return result


def measure_ten() -> list[str]:
    size = {**SIZES["large"], "events": TEN_EVENTS}
    build("ten", size, sealed=False)
    connections.close_all()
    child = subprocess.run(
        [sys.executable, __file__, "--ten-child"],
        env={**os.environ, "SCALE_SCHEMA": "ten"},
        capture_output=True,
        text=True,
        timeout=7200,
    )
    if child.returncode:
        print(child.stderr, file=sys.stderr)
        return [f"ten million: failed (see stderr), exit {child.returncode}"]
    r = json.loads(child.stdout.strip().splitlines()[-1])
    rows = [
        f"| at {r['events']:,} events | figure |",
        "| --- | ---: |",
        f"| sealing the whole backlog | {r['sealed'] / r['seal_seconds']:,.0f} "
        f"events/s ({r['seal_seconds']:.0f} s), peak {r['seal_peak_mb']:.0f} MB |",
        f"| securelink_verify_audit's check | {r['events'] / r['verify_seconds']:,.0f} "
        f"events/s ({r['verify_seconds']:.0f} s), peak {r['verify_peak_mb']:.0f} MB, "
        f"{r['verify']} |",
    ]
    for label, ms, queries in r["pages"]:
        rows.append(f"| {label} | {ms:.0f} ms ({queries} queries) |")
    rows += [
        f"| securelink_purge of the oldest tenth | {r['purged']:,} events in "
        f"{r['purge_seconds']:.0f} s ({r['purged'] / r['purge_seconds']:,.0f} "
        f"events/s), peak {r['purge_peak_mb']:.0f} MB |",
        f"| the chain after the purge ({r['left']:,} events) | "
        f"{r['verify_after_purge']}, {r['left'] / r['verify_after_seconds']:,.0f} "
        "events/s |",
    ]
    print("\n".join(rows), file=sys.stderr, flush=True)
    return rows


def main() -> None:
    started = time.perf_counter()
    only = os.environ.get("SCALE_ONLY", "")
    out = []
    if only not in ("seal", "ten"):
        for name, size in SIZES.items():
            build(name, size)
        out += measure_pages()
        out.append("")
        print("\n".join(out), file=sys.stderr, flush=True)
    if only not in ("pages", "ten"):
        out += measure_sealing()
    if only == "ten" or os.environ.get("SCALE_TEN_TOO"):
        out.append("")
        out += measure_ten()
    out.append("")
    out.append(
        f"PostgreSQL {connection.pg_version // 10000}, Django test client in-process, "
        f"{ROUNDS} rounds × {PER_ROUND}, large = {SIZES['large']}; "
        f"run took {time.perf_counter() - started:.0f} s."
    )
    print("\n".join(out))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--ten-child"]:
        print(json.dumps(ten_child()))
    elif sys.argv[1:2] == ["--seal-child"]:
        print(json.dumps(seal_child(int(sys.argv[2]))))
    else:
        main()
