"""Nothing lost when a process dies.

* A task worker killed with SIGKILL while it talks to the mail server: the email
  task is run again (recovery.py), the recipient gets exactly one email, and the code
  in it works; no second code exists.
* A gunicorn worker killed with SIGKILL in the middle of a download: no half-written
  audit state, ``securelink_verify_audit`` still verifies the chain.
"""

import asyncio
import os
import signal
import threading

import pytest
import requests

from tests.harness.mail import Mailbox
from tests.harness.server import poll

from .cluster import Cluster, Visitor, on

pytestmark = pytest.mark.scaleout

DOMAIN = "death.example.com"
STALE_AFTER = 60  # seconds: WAGTAIL_SECURELINK_TASK_STALE_AFTER in this cluster


class StallingMailbox(Mailbox):
    """Holds the SMTP conversation at RCPT TO for one address until released."""

    def __init__(self):
        super().__init__()
        self.stall_for: str | None = None
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stall_for and address.lower() == self.stall_for:
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 Try again later"  # the client is gone by now anyway
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture(scope="module")
def stalling_mailbox():
    box = StallingMailbox()
    box.start()
    try:
        yield box
    finally:
        box.release.set()
        box.stop()


@pytest.fixture(scope="module")
def fragile(tmp_path_factory, database, redis, stalling_mailbox):
    site = Cluster(
        directory=tmp_path_factory.mktemp("fragile"),
        database_url=database.url,
        redis_url=redis.url,
        smtp_port=stalling_mailbox.port,
        processes=1,
        extra_env={"SECURELINK_TASK_STALE_AFTER": str(STALE_AFTER)},
    )
    try:
        site.set_up()
        site.start_web()
        site.start_worker()
        yield site
    finally:
        site.close()


def kill_group(process) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def ask(site: Cluster, url: str, address: str) -> Visitor:
    visitor = Visitor(url)
    assert visitor.get().status_code == 200
    response = visitor.submit("/code/send/", email=address)
    assert response.status_code == 303, response.status_code
    visitor.get(on(response.headers["Location"], site.base_url))
    return visitor


def test_a_worker_killed_mid_email_loses_nothing(fragile, stalling_mailbox, database):
    site, box = fragile, stalling_mailbox
    address = f"killed@{DOMAIN}"
    url = site.share("--to", address, "--to", f"other@{DOMAIN}", "--no-email")
    box.stall_for = address
    visitor = ask(site, url, address)
    assert box.stalled.wait(30), "the worker never reached the mail server"
    # The worker is in the middle of the email: the code row claimed, nothing sent.
    [worker] = site.task_workers
    kill_group(worker)
    site.task_workers = []
    box.release.set()
    box.stall_for = None
    assert box.to(address) == []
    assert (
        database.scalar(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE status = 'RUNNING' AND task_path LIKE %s",
            ("%send_code_email",),
        )
        == 1
    )
    site.start_worker()  # systemd's Restart=always
    # A task running for less than TASK_STALE_AFTER may still be sending: the next
    # email a web process enqueues sweeps, and leaves it alone.
    ask(site, url, f"other@{DOMAIN}")
    box.wait_for_code(f"other@{DOMAIN}")
    assert box.to(address) == []
    # The worker died long ago (no clock to travel in other processes: the rows are
    # made older instead).
    database.query(
        "UPDATE django_tasks_database_dbtaskresult SET started_at = started_at - "
        "interval '2 minutes' WHERE status = 'RUNNING' RETURNING id"
    )
    database.query(
        "UPDATE wagtail_securelink_verificationcode SET sent_at = sent_at - "
        "interval '2 minutes' WHERE sent_at IS NOT NULL RETURNING id"
    )
    swept = site.manage("securelink_purge")
    assert "Enqueued again 1 email tasks" in swept.stdout, swept.stdout
    code = box.wait_for_code(address)
    poll(lambda: site.queued_tasks() == 0, 30, "the queue to drain")
    assert len(box.to(address)) == 1
    assert visitor.submit("/code/", code=code).status_code == 303
    assert (
        database.scalar(
            "SELECT count(*) FROM wagtail_securelink_verificationcode c "
            "JOIN wagtail_securelink_recipient r ON r.id = c.recipient_id "
            "WHERE r.email = %s",
            (address,),
        )
        == 1
    )
    lost = database.query(
        "SELECT status, exception_class_path FROM django_tasks_database_dbtaskresult "
        "WHERE task_path LIKE %s AND status = 'FAILED'",
        ("%send_code_email",),
    )
    assert lost == [("FAILED", "wagtail_securelink.tasks.recovery.WorkerLost")]
    # Nothing more arrives later: the recovered run was the only one.
    assert "Enqueued again" not in site.manage("securelink_purge").stdout
    assert len(box.to(address)) == 1


def test_a_web_worker_killed_mid_download_leaves_the_chain_whole(
    fragile, stalling_mailbox, database
):
    site, box = fragile, stalling_mailbox
    address = f"download@{DOMAIN}"
    big = b"%PDF-1.4\n" + os.urandom(48 * 1024 * 1024)
    source = site.directory / "big.pdf"
    source.write_bytes(big)
    document_id = int(
        site.manage(
            "shell",
            "-v",
            "0",
            "-c",
            "import os\n"
            "from django.core.files.base import ContentFile\n"
            "from wagtail.documents import get_document_model\n"
            "from wagtail.models import Collection\n"
            "D = get_document_model()\n"
            "d = D(title='Big', collection=Collection.get_first_root_node())\n"
            "d.file.save('big.pdf', ContentFile(open(os.environ['BIG'], 'rb').read()),"
            " save=False)\n"
            "d._set_document_file_metadata(); d.save(); print(d.pk)",
            extra_env={"BIG": str(source)},
        ).stdout.split()[-1]
    )
    url = site.manage(
        "securelink_share",
        "--document",
        str(document_id),
        "--as",
        "sharer",
        "--to",
        address,
        "--no-email",
    ).stdout.split()[-1]
    visitor = ask(site, url, address)
    assert visitor.submit("/code/", code=box.wait_for_code(address)).status_code == 303
    events_before = database.scalar(
        "SELECT count(*) FROM wagtail_securelink_accessevent"
    )
    response = visitor.http.get(url + "download/", stream=True, timeout=60)
    assert response.status_code == 200
    first = next(response.iter_content(64 * 1024))
    assert first == big[: len(first)]
    # The gunicorn worker is now blocked writing the rest: kill every worker.
    master = site.servers[0].pid
    children = [
        int(pid)
        for pid in open(f"/proc/{master}/task/{master}/children").read().split()
    ]
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(requests.exceptions.RequestException):
        for _chunk in response.iter_content(1024 * 1024):
            pass

    # The master starts new workers; the site answers again (on a loaded machine a
    # worker may still be booting: a timeout means "not yet", not a failure).
    def answers():
        try:
            return requests.get(url, timeout=10).status_code == 200
        except requests.exceptions.RequestException:
            return False

    poll(answers, 60, "gunicorn's new workers")
    assert (
        database.scalar("SELECT count(*) FROM wagtail_securelink_accessevent")
        >= events_before
    )
    audit = site.manage("securelink_verify_audit", "--seal", check=False)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    # The download can be made again in full through the new workers.
    again = visitor.http.get(url + "download/", timeout=120)
    assert again.status_code == 200 and again.content == big
