"""``manage.py db_worker --batch`` in this process, timed after start-up (for
``worker_throughput.py``).

Run from the example site's directory with its environment. Django is set up and the
modules the email tasks import are imported first, as in a worker that has been
running for a while; then the worker runs until the queue is empty, and this prints
its CPU seconds (``getrusage``) and wall seconds as JSON. With ``--profile PATH`` the
worker runs under cProfile, timed by CPU time (``--timer cpu``, meaningful on a
loaded machine) or by the wall clock (``--timer wall``: waiting on PostgreSQL and the
mail server included). With ``--sql``, the SQL statements it sent and the transactions
it committed are counted too, by statement (the first words of each).
"""

import argparse
import collections
import cProfile
import json
import os
import resource
import sys
import time


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile")
    parser.add_argument("--timer", choices=["cpu", "wall"], default="cpu")
    parser.add_argument("--sql", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, os.getcwd())  # the example site's package

    import django

    django.setup()
    from django.core.management import call_command

    import benchmarks.worker_tasks  # noqa: F401
    import wagtail_securelink.services
    import wagtail_securelink.verification.verify  # noqa: F401

    command = ("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    statements: collections.Counter = collections.Counter()
    if args.sql:
        from django.db import connection
        from django.db.backends.base.base import BaseDatabaseWrapper

        def count(execute, sql, params, many, context):
            statements[" ".join(sql.split()[:6])[:90]] += 1
            return execute(sql, params, many, context)

        commit = BaseDatabaseWrapper.commit

        def counted_commit(self):
            statements["COMMIT"] += 1
            return commit(self)

        BaseDatabaseWrapper.commit = counted_commit
        connection.execute_wrappers.append(count)  # the worker's only connection
    began_cpu, began = cpu(), time.monotonic()
    if args.profile:
        timer = time.process_time if args.timer == "cpu" else time.perf_counter
        profile = cProfile.Profile(timer)
        profile.runcall(call_command, *command, verbosity=0)
        profile.dump_stats(args.profile)
    else:
        call_command(*command, verbosity=0)
    spent = {"cpu": cpu() - began_cpu, "wall": time.monotonic() - began}
    print(json.dumps({**spent, "sql": dict(statements.most_common())}))


if __name__ == "__main__":
    main()
