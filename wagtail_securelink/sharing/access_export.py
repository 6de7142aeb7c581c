"""*Who has access now*: every current way in to the items a user manages.

One row per person on a working ``specific`` link whose own access has not ended,
and one row per working ``organization`` or ``anyone`` link ("anyone with the link",
"people signed in to this site"). Two SQL statements whatever the number of rows,
each read with ``iterator(chunk_size)``: the CSV is a generator for a
``StreamingHttpResponse`` and the XLSX is written row by row by openpyxl's write-only
workbook into a temporary file, so 100,000 rows export in flat memory
(``benchmarks/access_export_memory.py``). No link URL is exported: the URL of an
``anyone`` link is the access itself.
"""

import datetime
import tempfile
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail_securelink.choices import Audience, Role, TargetType, choice_label
from wagtail_securelink.core.spreadsheets import csv_lines
from wagtail_securelink.models import AccessEvent, Recipient
from wagtail_securelink.models.links import open_links_q
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.models.recipients import open_recipients_q
from wagtail_securelink.permissions import links_visible_to
from wagtail_securelink.sharing.people import OPENING_EVENTS

__all__ = [
    "CHUNK_SIZE",
    "headings",
    "access_rows",
    "csv_stream",
    "xlsx_file",
    "filename",
]

CHUNK_SIZE = 2000


def headings() -> list[str]:
    return [
        _("Shared item"),
        _("Type"),
        _("Link number"),
        _("Audience"),
        _("Role"),
        _("Person"),
        _("Access until"),
        _("Last opened"),
        _("Created by"),
    ]


def filename(extension: str) -> str:
    return f"securelink-access-{datetime.date.today():%Y-%m-%d}.{extension}"


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _earliest(*values):
    present = [v for v in values if v is not None]
    return min(present) if present else None


def access_rows(user, *, people_only=False, now=None) -> Iterator[list]:
    """The rows, as lists of cells (text), for the links ``user`` may manage."""
    now = now or timezone.now()
    policy = current_policy()
    links = links_visible_to(user).filter(open_links_q(policy, now))
    creator = f"link__created_by__{get_user_model().USERNAME_FIELD}"
    last_opened = Subquery(
        AccessEvent.objects.filter(
            recipient_id=OuterRef("pk"), event__in=OPENING_EVENTS
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    people = (
        Recipient.objects.filter(
            link__in=links.filter(audience=Audience.SPECIFIC).values("pk")
        )
        .filter(open_recipients_q(now))
        .annotate(last_opened=last_opened)
        .order_by("link__target_title", "link_id", "email")
        .values_list(
            "link__target_title",
            "link__target_type",
            "link_id",
            "link__role",
            "email",
            "expires_at",
            "link__expires_at",
            "last_opened",
            creator,
        )
    )
    specific = choice_label(Audience, Audience.SPECIFIC)
    for (
        title,
        kind,
        link_id,
        role,
        email,
        until,
        link_end,
        opened,
        by,
    ) in people.iterator(chunk_size=CHUNK_SIZE):
        yield [
            title,
            choice_label(TargetType, kind),
            link_id,
            specific,
            choice_label(Role, role),
            email,
            _when(_earliest(until, link_end)),
            _when(opened),
            by or "",
        ]
    if people_only:
        return
    others = (
        links.exclude(audience=Audience.SPECIFIC)
        .order_by("target_title", "pk")
        .annotate(creator=F(creator.removeprefix("link__")))
        .values_list(
            "target_title",
            "target_type",
            "pk",
            "audience",
            "role",
            "expires_at",
            "last_opened_at",
            "creator",
        )
    )
    for title, kind, link_id, audience, role, end, opened, by in others.iterator(
        chunk_size=CHUNK_SIZE
    ):
        person = (
            _("anyone with the link")
            if audience == Audience.ANYONE
            else _("people signed in to this site")
        )
        yield [
            title,
            choice_label(TargetType, kind),
            link_id,
            choice_label(Audience, audience),
            choice_label(Role, role),
            person,
            _when(end),
            _when(opened),
            by or "",
        ]


def csv_stream(user, **kwargs) -> Iterator[str]:
    return csv_lines(headings(), access_rows(user, **kwargs))


def xlsx_file(user, **kwargs):
    """A temporary file holding the XLSX, rewound; rows written one at a time."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Access now")[:31])
    sheet.append(headings())
    for row in access_rows(user, **kwargs):
        for index, value in enumerate(row):
            # openpyxl would store "=…" as a formula: such text becomes a text cell
            # (as Wagtail's own XLSX export does). Plain values stay plain: fast.
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                row[index] = cell
        sheet.append(row)
    output = tempfile.TemporaryFile()
    workbook.save(output)
    output.seek(0)
    return output
