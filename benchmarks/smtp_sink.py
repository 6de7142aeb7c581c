"""An SMTP sink in a process of its own, for the benchmarks.

The load generator's 100 visitor threads hold the GIL most of the time: an aiosmtpd
server running in the same process answered the worker late, and so the email step
measured the load generator as much as the worker. Here aiosmtpd runs in a child
process on 127.0.0.1. For each message it notes the time it arrived
(``time.monotonic()``, the system-wide monotonic clock, so comparable with the parent's),
the recipients, the code found in the text part and the size, and sends that over a
pipe. One thread in the parent reads the pipe and wakes the visitors waiting for their
code: how late that thread runs changes when a visitor goes on, not the time measured.
"""

import email
import email.policy
import multiprocessing
import re
import resource
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

__all__ = ["Arrival", "SinkProcess", "SinkError"]

HOST = "127.0.0.1"
CODE_RE = re.compile(r"Your code is (\d{6,10})")


class SinkError(RuntimeError):
    pass


@dataclass(frozen=True)
class Arrival:
    at: float  # time.monotonic() in the sink when the DATA was complete
    to: tuple[str, ...]
    code: str | None
    size: int  # bytes of the message


def _serve(port: int, pipe, ready, stop) -> None:
    """The child: aiosmtpd until ``stop`` is set, then its own CPU time."""
    from aiosmtpd.controller import Controller

    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            at = time.monotonic()
            raw = envelope.original_content or envelope.content
            message = email.message_from_bytes(raw, policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            found = CODE_RE.search(body.get_content() if body is not None else "")
            with lock:
                pipe.send(
                    Arrival(
                        at=at,
                        to=tuple(a.lower() for a in envelope.rcpt_tos),
                        code=found.group(1) if found else None,
                        size=len(raw),
                    )
                )
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname=HOST, port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with lock:
        pipe.send(("cpu", usage.ru_utime + usage.ru_stime))
        pipe.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class SinkProcess:
    """The sink's process, and what the parent has learnt from it so far."""

    def __init__(self, port: int | None = None):
        self.port = port or _free_port()
        context = multiprocessing.get_context("spawn")
        self._pipe, child_pipe = context.Pipe(duplex=False)
        self._ready = context.Event()
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve,
            args=(self.port, child_pipe, self._ready, self._stop),
            name="smtp-sink",
            daemon=True,
        )
        self._child_pipe = child_pipe
        self._changed = threading.Condition()
        self._by_address: dict[str, list[Arrival]] = defaultdict(list)
        self.arrivals: list[Arrival] = []
        self.cpu_seconds: float | None = None  # the sink's own, after stop()
        self._reader: threading.Thread | None = None

    # -- life cycle --

    def start(self, deadline: float = 60) -> None:
        self._process.start()
        self._child_pipe.close()  # the child holds its end; EOF when it exits
        if not self._ready.wait(deadline):
            self._process.kill()
            raise SinkError(f"the SMTP sink did not start within {deadline}s")
        self._reader = threading.Thread(
            target=self._read, name="smtp-sink-reader", daemon=True
        )
        self._reader.start()

    def stop(self) -> None:
        if not self._process.is_alive():
            return
        self._stop.set()
        if self._reader is not None:
            self._reader.join(timeout=30)
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=10)

    def _read(self) -> None:
        while True:
            try:
                item = self._pipe.recv()
            except (EOFError, OSError):
                return
            if isinstance(item, tuple) and item[0] == "cpu":
                self.cpu_seconds = item[1]
                continue
            with self._changed:
                self.arrivals.append(item)
                for address in item.to:
                    self._by_address[address].append(item)
                self._changed.notify_all()

    # -- what arrived --

    @property
    def count(self) -> int:
        with self._changed:
            return len(self.arrivals)

    def wait_for_count(self, count: int, deadline: float) -> bool:
        with self._changed:
            return self._changed.wait_for(
                lambda: len(self.arrivals) >= count, timeout=deadline
            )

    def wait_for_mail(self, address: str, deadline: float) -> Arrival:
        """The newest message with a code to ``address``, waiting up to ``deadline`` s."""
        address = address.lower()

        def found():
            mails = [m for m in self._by_address.get(address, []) if m.code]
            return mails[-1] if mails else None

        with self._changed:
            mail = self._changed.wait_for(found, timeout=deadline)
        if mail is None:
            raise SinkError(f"no code for {address} within {deadline}s")
        return mail

    def wait_for_code(self, address: str, deadline: float) -> str:
        return self.wait_for_mail(address, deadline).code

    def since(self, began: float, until: float | None = None) -> list[Arrival]:
        with self._changed:
            return [
                a
                for a in self.arrivals
                if a.at >= began and (until is None or a.at <= until)
            ]
