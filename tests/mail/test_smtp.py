"""``mail.smtp.EmailBackend``: one SMTP connection per thread, reused across messages.

A real SMTP server (aiosmtpd) on 127.0.0.1 counts the connections and the messages.
"""

import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import EmailMessage

from wagtail_securelink.mail import smtp as mailer


class Sink:
    def __init__(self):
        self.messages, self.sessions = [], set()

    async def handle_DATA(self, server, session, envelope):
        self.sessions.add(id(session))
        self.messages.append(envelope.rcpt_tos)
        return "250 OK"


def start_server(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "wagtail_securelink.mail.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    return sink, controller


@pytest.fixture
def smtp(settings):
    mailer.close()
    sink, controller = start_server(settings)
    yield sink, controller
    mailer.close()
    if controller.server is not None:
        controller.stop()


def message(to):
    return EmailMessage("Your code", "123456", "noreply@example.com", [to])


def send(email):
    assert email.send(fail_silently=False) == 1


def test_messages_share_one_connection(smtp):
    sink, _controller = smtp
    for i in range(3):
        send(message(f"v{i}@example.com"))
    assert sink.messages == [[f"v{i}@example.com"] for i in range(3)]
    assert len(sink.sessions) == 1


def test_idle_connection_is_replaced(smtp, monkeypatch):
    sink, _controller = smtp
    monkeypatch.setattr(mailer, "IDLE_SECONDS", -1)
    send(message("a@example.com"))
    send(message("b@example.com"))
    assert len(sink.messages) == 2
    assert len(sink.sessions) == 2


def test_a_connection_closed_by_the_server_is_opened_again(smtp):
    sink, _controller = smtp
    send(message("a@example.com"))
    # The server hangs up on the kept connection (as after its idle timeout).
    mailer._local.backend.connection.sock.shutdown(socket.SHUT_RDWR)
    send(message("b@example.com"))
    assert [m[0] for m in sink.messages] == ["a@example.com", "b@example.com"]


def test_a_server_that_is_down_raises(smtp, settings):
    _sink, controller = smtp
    send(message("a@example.com"))
    controller.stop()
    with pytest.raises(OSError):  # smtplib's errors are OSErrors
        send(message("b@example.com"))
    sink, other = start_server(settings)  # another server: the next message goes there
    try:
        send(message("c@example.com"))
    finally:
        mailer.close()
        other.stop()
    assert sink.messages == [["c@example.com"]]


def test_django_s_own_backend_opens_a_connection_per_message(smtp, settings):
    """The reference: what the kept connection saves."""
    sink, _controller = smtp
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    for i in range(3):
        send(message(f"v{i}@example.com"))
    assert len(sink.sessions) == 3


def test_the_package_s_emails_go_through_the_site_s_backend(settings):
    from django.core import mail

    from wagtail_securelink.mail.messages import get_emails

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    get_emails().send(message("a@example.com"))
    assert [m.to for m in mail.outbox] == [["a@example.com"]]
