"""Where the email tasks used to live; they are now with their domain.

``code_emails.send_code_email`` and ``code_emails.send_sign_in_email`` email what a
visitor asked for, ``invitations.send_invitation_email`` an invitation; the
notifications' tasks are in ``notifications``, ``access_requests``, ``digest`` and
``download_notices``. ``delivery`` enqueues them.

A task queued before the upgrade stores its module path (``wagtail_securelink.tasks.
send_code_email``…) in the queue's row, and the worker imports that path to run it:
these aliases keep every such path importable. Nothing in the package imports this
module.
"""

from .code_emails import send_code_email, send_sign_in_email
from .invitations import send_invitation_email

__all__ = ["send_code_email", "send_invitation_email", "send_sign_in_email"]
