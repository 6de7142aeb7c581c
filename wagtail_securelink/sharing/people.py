"""People outside the organisation: one address across every link.

A person is an address on ``specific`` links. This module is what the People admin
page, its bulk actions and ``securelink_people`` call, through ``services``:

* ``people_for(user)``: one row per address the user may manage (its first recipient
  row: no earlier row of the same address, an index probe on ``(email, id)``), with
  its facts computed in correlated subqueries by address, so the database pages the
  addresses first and aggregates for the fifty rows shown: a page costs the same
  queries, and about the same time, for ten people or fifty thousand;
* ``recipients_of(user, emails)``: the recipient rows behind those addresses;
* ``set_access_end``, ``remove_people``, ``unlock_people``, ``resend_to_people``:
  the per-person actions. Each change is an access event and a Wagtail log entry;
  removing keeps the audit trail (unlike ``securelink_erase``).
"""

from django.db import transaction
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from wagtail.log_actions import log

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import EventType
from wagtail_securelink.mail.invitations import send_invitations_to
from wagtail_securelink.models import AccessEvent, Grant, Recipient
from wagtail_securelink.models.links import open_links_q
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.permissions import recipients_visible_to
from wagtail_securelink.sharing.recipients import (
    clean_access_end,
    remove_recipient,
    unlock_recipient,
)

__all__ = [
    "OPENING_EVENTS",
    "people_for",
    "recipients_of",
    "clean_access_end",
    "set_access_end",
    "remove_people",
    "unlock_people",
    "resend_to_people",
]

# The events that mean "this person opened something".
OPENING_EVENTS = [
    EventType.VIEWED,
    EventType.DOWNLOADED,
    EventType.UPLOADED,
    EventType.VERSION_DOWNLOADED,
]


def visible_recipients(user) -> QuerySet:
    """Recipient rows on links the user may manage (all for superusers, and for
    ``None``: an operator at the command line, ``securelink_people``)."""
    if user is None:
        return Recipient.objects.all()
    return recipients_visible_to(user)


def _per_address(queryset, expression, output_field):
    """``expression`` aggregated over ``queryset``'s rows of the outer row's address."""
    rows = (
        queryset.filter(email=OuterRef("email"))
        .order_by()
        .values("email")
        .annotate(value=expression)
        .values("value")
    )
    return Subquery(rows, output_field=output_field)


def people_for(user, now=None) -> QuerySet:
    """One ``Recipient`` per address (its first row), annotated with the person's facts
    across every link ``user`` may manage: ``link_count``, ``item_count``,
    ``open_link_count``, ``access_until`` (earliest per-person expiry),
    ``locked_count``, ``open_grants``, ``last_verified``, ``last_opened``."""
    now = now or timezone.now()
    mine = visible_recipients(user)
    # "No earlier row of this address" rather than ``pk IN (SELECT MIN(pk) ... GROUP BY
    # email)``: the group would be computed over every recipient before the first page
    # (and before a search) could be cut; the anti-join is probed row by row.
    earlier = mine.filter(email=OuterRef("email"), pk__lt=OuterRef("pk"))
    open_links = open_links_q(current_policy(), now, prefix="link__")
    integer, date = IntegerField(), DateTimeField()
    grants = Grant.objects.filter(recipient__in=mine.values("pk"))
    events = AccessEvent.objects.filter(
        recipient_id__in=mine.values("pk"), event__in=OPENING_EVENTS
    )

    def by_address(queryset, field, expression):
        rows = (
            queryset.filter(**{field: OuterRef("email")})
            .order_by()
            .values(field)
            .annotate(value=expression)
            .values("value")
        )
        return Subquery(rows, output_field=date)

    return mine.filter(~Exists(earlier)).annotate(
        link_count=_per_address(mine, Count("pk"), integer),
        item_count=_per_address(
            mine,
            Count("link__document", distinct=True)
            + Count("link__collection", distinct=True)
            + Count("link__page", distinct=True),
            integer,
        ),
        open_link_count=Coalesce(
            _per_address(mine.filter(open_links), Count("pk"), integer), 0
        ),
        access_until=_per_address(mine, Min("expires_at"), date),
        locked_count=Coalesce(
            _per_address(mine.filter(locked_at__isnull=False), Count("pk"), integer),
            0,
        ),
        open_grants=Coalesce(
            Subquery(
                grants.filter(recipient__email=OuterRef("email"), ended_at__isnull=True)
                .order_by()
                .values("recipient__email")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=integer,
            ),
            0,
        ),
        last_verified=by_address(grants, "recipient__email", Max("created_at")),
        # Events keep the address they were recorded for (indexed).
        last_opened=by_address(events, "email", Max("created_at")),
    )


def reaches_item(user, text: str):
    """A condition for ``people_for``: the person is on a link to an item titled ``text``."""
    return Exists(
        visible_recipients(user).filter(
            email=OuterRef("email"), link__target_title__icontains=text
        )
    )


def recipients_of(user, emails) -> QuerySet:
    """The rows of these addresses on links ``user`` may manage."""
    return visible_recipients(user).filter(email__in=list(emails))


def set_access_end(recipients, expires_at, *, user=None, request=None) -> int:
    """Set (or with ``None`` clear) the per-person end of access of these rows."""
    expires_at = clean_access_end(expires_at)
    rows = list(recipients.select_related("link"))
    with transaction.atomic():
        Recipient.objects.filter(pk__in=[r.pk for r in rows]).update(
            expires_at=expires_at, expiry_notified_at=None
        )
        for row in rows:
            old, row.expires_at = row.expires_at, expires_at
            record_event(
                EventType.RECIPIENT_EXPIRY_CHANGED,
                link=row.link,
                recipient=row,
                user=user,
                request=request,
                detail={
                    "old": old.isoformat() if old else None,
                    "new": expires_at.isoformat() if expires_at else None,
                },
            )
            log(
                instance=row.link,
                action="wagtail_securelink.change",
                user=user,
                data={"field": "recipient_expires_at"},
            )
    return len(rows)


def remove_people(recipients, *, user=None, request=None) -> int:
    """Remove these rows from their links: codes and grants go, access ends at once
    (S9); the access events stay, with the address (this is not an erasure)."""
    rows = list(recipients.select_related("link"))
    with transaction.atomic():
        for row in rows:
            remove_recipient(row, user=user, request=request)
    return len(rows)


def unlock_people(recipients, *, user=None, request=None) -> int:
    rows = list(recipients.filter(locked_at__isnull=False).select_related("link"))
    for row in rows:
        unlock_recipient(row, user=user, request=request)
    return len(rows)


def resend_to_people(recipients, *, user=None, request=None):
    """Email the invitation again for every row on a link that still works."""
    now = timezone.now()
    rows = (
        recipients.filter(link__revoked_at__isnull=True)
        .filter(Q(link__expires_at__isnull=True) | Q(link__expires_at__gt=now))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("link")
    )
    sent = 0
    for row in rows:
        report = send_invitations_to(row.link, [row])
        sent += not report.failed
    return sent
