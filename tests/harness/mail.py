"""One SMTP sink for the acceptance, scale-out and browser tests (and the scripts that
reuse them): an aiosmtpd server on 127.0.0.1 that keeps every message in memory.

    with smtp_sink() as mailbox:            # or: box = Mailbox(); box.start() ... box.stop()
        ... EMAIL_HOST=127.0.0.1, EMAIL_PORT=mailbox.port ...
        mail = mailbox.wait_for("alice@example.com")
        code = mailbox.wait_for_code("alice@example.com")

No pytest here: ``benchmarks/loadtest.py`` and ``scripts/`` use it too.
"""

import asyncio
import contextlib
import email
import email.policy
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from .server import HOST, HarnessError, free_port

# Generous: the suites may share a loaded machine. Waits end as soon as they can.
MAIL_DEADLINE = 30

CODE_RE = re.compile(r"Your code is (\d{6,10})")
# The sites of tests/harness serve on 127.0.0.1; the browser tests' one is called
# localhost (a WebAuthn RP id is a domain, never an IP address).
LINK_RE = re.compile(r"https?://(?:127\.0\.0\.1|localhost):\d+/share/[^\s\"<>]+/")

# Every address the tests type without listing it lives under this domain, so the
# final audit (:func:`unlisted_recipients`) can prove that none of them ever received
# anything.
UNLISTED_DOMAIN = "unlisted.example.net"


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str  # the text/plain part


class Mailbox:
    """An aiosmtpd handler that keeps every message (in arrival order and by
    recipient), and lets the caller wait for one.

    ``delay``: seconds the server takes to accept each message (a slow mail server).
    Subclasses may add aiosmtpd hooks (``handle_RCPT``…) to misbehave further.
    """

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.messages: list[Mail] = []
        self._by_address: dict[str, list[Mail]] = defaultdict(list)
        self._changed = threading.Condition()
        self.port = free_port()
        self._controller = None

    # -- the server --

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=HOST, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        body = message.get_body(preferencelist=("plain",))
        mail = Mail(
            to=[address.lower() for address in envelope.rcpt_tos],
            subject=str(message["Subject"]),
            body=body.get_content() if body is not None else "",
        )
        with self._changed:
            self.messages.append(mail)
            for address in mail.to:
                self._by_address[address].append(mail)
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    # -- reading --

    @property
    def count(self) -> int:
        """Messages received so far."""
        with self._changed:
            return len(self.messages)

    def to(self, address: str) -> list[Mail]:
        with self._changed:
            return list(self._by_address.get(address.lower(), []))

    def to_bodies(self, address: str) -> list[str]:
        return [mail.body for mail in self.to(address)]

    def codes_to(self, address: str) -> list[str]:
        return [m.group(1) for m in map(CODE_RE.search, self.to_bodies(address)) if m]

    def wait_for(
        self,
        address: str,
        match: Callable[[Mail], bool] = lambda mail: True,
        deadline: float = MAIL_DEADLINE,
    ) -> Mail:
        """The first message to ``address`` that ``match`` accepts, waiting for it."""
        address = address.lower()

        def found():
            return next(
                (m for m in self._by_address.get(address, []) if match(m)), None
            )

        with self._changed:
            mail = self._changed.wait_for(found, timeout=deadline)
            if mail is None:
                raise HarnessError(
                    f"no matching email to {address} within {deadline}s; "
                    f"got mail for {[m.to for m in self.messages]}"
                )
        return mail

    def wait_for_code(self, address: str, deadline: float = MAIL_DEADLINE) -> str:
        """The code of the latest code email to ``address``, waiting for one."""
        address = address.lower()

        def found():
            codes = [CODE_RE.search(m.body) for m in self._by_address.get(address, [])]
            codes = [c.group(1) for c in codes if c]
            return codes[-1] if codes else None

        with self._changed:
            code = self._changed.wait_for(found, timeout=deadline)
        if code is None:
            raise HarnessError(f"no code for {address} within {deadline}s")
        return code


# -- what the visitor tests read in their mail --


def code_from(mailbox: Mailbox, address: str, after: int = 0) -> str:
    """The code of the first code email to ``address`` beyond the first ``after``."""
    mailbox.wait_for(address, lambda mail: len(mailbox.codes_to(address)) > after)
    return mailbox.codes_to(address)[after]


def codes_sent_to(mailbox: Mailbox, address: str) -> int:
    return len(mailbox.codes_to(address))


def invitation_link(mailbox: Mailbox, address: str) -> str:
    """The share link in the first email to ``address`` that has one."""
    mail = mailbox.wait_for(address, lambda m: LINK_RE.search(m.body) is not None)
    return LINK_RE.search(mail.body).group(0)


def unlisted_recipients(mailbox: Mailbox) -> list[list[str]]:
    """The recipients of every message sent to an address under UNLISTED_DOMAIN."""
    return [m.to for m in mailbox.messages if any(UNLISTED_DOMAIN in a for a in m.to)]


@contextlib.contextmanager
def smtp_sink(delay: float = 0.0):
    """A started :class:`Mailbox` on a free port of 127.0.0.1, stopped on exit."""
    box = Mailbox(delay)
    box.start()
    try:
        yield box
    finally:
        box.stop()
