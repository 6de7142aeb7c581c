"""Reference tasks for ``benchmarks/worker_throughput.py``: what a task worker costs
without wagtail-securelink's work in the task.

``send_plain`` sends one plain ``django.core.mail.send_mail`` (Django opens an SMTP
connection for it and closes it after); ``nothing`` returns at once (the task
framework's own cost per task).
"""

from django.core.mail import send_mail
from django_tasks import task

LINE = "Your code is 123456. It works for 15 minutes on the link you opened.\n"


@task()
def send_plain(index: int, size: int) -> str:
    body = (LINE * (size // len(LINE) + 1))[:size]
    send_mail(
        f"Reference message {index}",
        body,
        None,  # DEFAULT_FROM_EMAIL
        [f"reference-{index}@bench.example.com"],
        fail_silently=False,
    )
    return "sent"


@task()
def nothing(index: int) -> str:
    return "done"
