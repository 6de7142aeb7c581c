"""A cProfile file summarised per email (for ``worker_throughput.py``): own time by
area (our package, the ORM, psycopg, templates, email building, SMTP …), the top
cumulative entries of ``wagtail_securelink`` and the top own-time entries."""

import pstats
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Where a function's own time (tottime) is counted: the first area that matches.
AREAS = [
    ("wagtail_securelink", ("/wagtail_securelink/",)),
    ("django_tasks(_db)", ("/django_tasks",)),
    ("Django ORM", ("/django/db/",)),
    ("Django templates", ("/django/template",)),
    ("Django mail", ("/django/core/mail/",)),
    ("Django, other", ("/django/",)),
    ("Wagtail", ("/wagtail/",)),
    ("psycopg", ("/psycopg",)),
    ("email (stdlib)", ("/email/",)),
    ("smtplib, ssl", ("/smtplib.py", "/ssl.py")),
    (
        "socket and poll calls (C)",
        ("_socket.socket", "select.", "<built-in method select", "'poll'"),
    ),
]


def area_of(filename: str, name: str) -> str:
    where = f"{filename}:{name}"
    for area, patterns in AREAS:
        if any(p in where for p in patterns):
            return area
    return "other"


def short_name(filename: str, line: int, name: str) -> str:
    for marker in ("/site-packages/", "/lib/python3.11/", f"{ROOT}/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line}({name})" if line else name


def profile_summary(path: Path, count: int, top: int) -> dict:
    stats = pstats.Stats(str(path))
    areas: dict[str, float] = {}
    ours, own = [], []
    for (filename, line, name), (
        _cc,
        calls,
        tottime,
        cumtime,
        _,
    ) in stats.stats.items():
        area = area_of(filename, name)
        areas[area] = areas.get(area, 0.0) + tottime
        own.append((tottime, calls, short_name(filename, line, name)))
        if "/wagtail_securelink/" in filename:
            ours.append((cumtime, calls, short_name(filename, line, name)))

    def per_email(rows):
        return [
            {
                "function": where,
                "calls": calls,
                "ms_per_email": round(1000 * t / count, 2),
            }
            for t, calls, where in sorted(rows, reverse=True)[:top]
        ]

    return {
        "ms_per_email": round(1000 * stats.total_tt / count, 2),
        "areas_ms_per_email": {
            area: round(1000 * seconds / count, 2)
            for area, seconds in sorted(areas.items(), key=lambda kv: -kv[1])
        },
        "ours_cumulative": per_email(ours),
        "own_time": per_email(own),
    }
