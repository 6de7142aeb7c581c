"""``manage.py securelink_envfile PATH``: write the site's environment file, keys quoted
for both systemd's ``EnvironmentFile=`` and ``sh`` (docs/operations.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext as _

from wagtail_securelink.operations.envfile import parse_env, write_env

HEADER = (
    "Written by manage.py securelink_envfile; read by systemd (EnvironmentFile=)\n"
    "and sh (set -a; . this file). Keep every value in single quotes."
)


class Command(BaseCommand):
    help = (
        "Write (or update) an environment file that systemd and sh both read: "
        "a new SECRET_KEY when it has none, --rotate-secret-key to make the current "
        "key the newest fallback, --set NAME=VALUE for any other variable."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The environment file, e.g. /srv/site/env.")
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="Set one variable (repeatable).",
        )
        parser.add_argument(
            "--rotate-secret-key",
            action="store_true",
            help="A new SECRET_KEY; the old one goes first in SECRET_KEY_FALLBACKS.",
        )
        parser.add_argument(
            "--drop-fallbacks",
            action="store_true",
            help="Empty SECRET_KEY_FALLBACKS (the end of a rotation, or a leaked key).",
        )

    def handle(self, *args, path, set, rotate_secret_key, drop_fallbacks, **options):
        target = Path(path)
        values = parse_env(target.read_text()) if target.exists() else {}
        for item in set:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(
                    _("--set takes NAME=VALUE, not %(item)r.") % {"item": item}
                )
            values[name.strip()] = value
        fallbacks = [k for k in values.get("SECRET_KEY_FALLBACKS", "").split(",") if k]
        if rotate_secret_key and values.get("SECRET_KEY"):
            fallbacks.insert(0, values["SECRET_KEY"])
            values["SECRET_KEY"] = ""
        if drop_fallbacks:
            fallbacks = []
        made = not values.get("SECRET_KEY")
        if made:
            # Its alphabet has no comma: the example site splits fallbacks on commas.
            values["SECRET_KEY"] = get_random_secret_key()
        values["SECRET_KEY_FALLBACKS"] = ",".join(fallbacks)
        try:
            write_env(target, values, HEADER)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _(
                "Wrote %(path)s (%(count)s variables, owner-only); SECRET_KEY %(what)s, "
                "%(fallbacks)s fallback keys."
            )
            % {
                "path": target,
                "count": len(values),
                "what": _("generated") if made else _("kept"),
                "fallbacks": len(fallbacks),
            }
        )
