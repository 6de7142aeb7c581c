"""``manage.py securelink_health``: one call for a monitoring system.

Exit status 0 when healthy, 1 with one line per problem on stdout otherwise; ``--json``
prints ``{"ok": …, "problems": [...], "metrics": {...}}`` instead, with the same status;
``--prometheus`` prints Prometheus' text exposition format for node_exporter's textfile
collector and exits 0 (``securelink_healthy`` and ``securelink_problem`` say it), so
that a ``… > file.tmp && mv file.tmp file.prom`` line always replaces the file.
"""

import dataclasses
import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from wagtail_securelink.operations.health import Limits, prometheus_text, run_checks


class Command(BaseCommand):
    help = (
        "Check what needs an operator: the task queue and tasks left RUNNING by a "
        "killed worker, emails waiting or failing, the rate-limit store, 429 and "
        "lockout rates, audit events waiting for their seal, the audit chain. Exits 1 "
        "with one line per problem."
    )

    def add_arguments(self, parser):
        output = parser.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", help="Print JSON.")
        output.add_argument(
            "--prometheus",
            action="store_true",
            help="Print Prometheus' text format (textfile collector); exit 0.",
        )
        parser.add_argument(
            "--no-audit",
            action="store_true",
            help="Skip walking the audit chain (run securelink_verify_audit daily).",
        )
        for f in dataclasses.fields(Limits):
            if f.type is int or f.type == "int":
                parser.add_argument(
                    "--" + f.name.replace("_", "-"),
                    type=int,
                    default=f.default,
                    metavar="N",
                    help=f"Threshold (default {f.default}).",
                )

    def handle(self, *args, **options):
        limits = Limits(
            audit=not options["no_audit"],
            **{
                f.name: options[f.name]
                for f in dataclasses.fields(Limits)
                if f.name in options
            },
        )
        problems, metrics = run_checks(limits)
        if options["prometheus"]:
            self.stdout.write(prometheus_text(problems, metrics), ending="")
            return
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": not problems,
                        "problems": [dataclasses.asdict(p) for p in problems],
                        "metrics": metrics,
                    },
                    sort_keys=True,
                )
            )
        elif problems:
            for problem in problems:
                self.stdout.write(f"{problem.check}: {problem.message}")
        else:
            self.stdout.write(_("OK"))
        if problems:
            raise SystemExit(1)
