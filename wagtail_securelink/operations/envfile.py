"""The environment file every process of the site loads (``securelink_envfile``).

One file is read by systemd (``EnvironmentFile=``) and by ``sh`` (``set -a; . file``):
the scheduled jobs and the cron lines of docs/operations.md source it. Django's
``get_random_secret_key()`` draws from ``a-z0-9!@#$%^&*(-_=+)``: unquoted, ``sh`` reads
``&``, ``(``, ``)`` and ``$`` as syntax, and systemd strips ``#`` comments only at the
start of a line. Every value is therefore written single-quoted, the one form both
read literally (no ``$`` expansion, no escapes); a ``'`` inside a value closes the
quote, is written ``"'"`` and the quote reopens (``shlex.quote``'s form, which
systemd's parser also concatenates).
"""

import os
import re
import shlex
import tempfile
from pathlib import Path

__all__ = ["quote", "format_env", "parse_env", "write_env"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def quote(value: str) -> str:
    """``value`` in single quotes, read back the same by systemd and by ``sh``."""
    if "\n" in value or "\r" in value or "\0" in value:
        # systemd and sh disagree on line breaks inside quotes; no setting needs one.
        raise ValueError("an environment value cannot hold a line break or a NUL")
    quoted = shlex.quote(value)
    # shlex leaves "safe" values bare; quote every one, so a later edit adding a
    # metacharacter by hand stays safe too.
    return quoted if quoted.startswith("'") else f"'{value}'"


def format_env(values: dict[str, str], header: str = "") -> str:
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for name, value in values.items():
        if not _NAME.match(name):
            raise ValueError(f"not an environment variable name: {name!r}")
        lines.append(f"{name}={quote(value)}")
    return "\n".join(lines) + "\n"


def parse_env(text: str) -> dict[str, str]:
    """Read ``KEY=value`` lines as systemd's ``EnvironmentFile=`` does, for the forms
    this module writes and the plain ones people write by hand: ``#``/``;`` comment
    lines, an optional ``export``, bare, single- and double-quoted parts (concatenated),
    backslash escapes outside single quotes, bare trailing whitespace dropped."""
    values = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        name, sep, rest = line.partition("=")
        name = name.strip().removeprefix("export ").strip()
        if not sep or not _NAME.match(name):
            continue
        values[name] = _value(rest.lstrip())
    return values


def _value(rest: str) -> str:
    out, state, i, bare_tail = [], "bare", 0, 0
    while i < len(rest):
        c = rest[i]
        if state == "single":
            if c == "'":
                state = "bare"
            else:
                out.append(c)
        elif state == "double":
            if c == '"':
                state = "bare"
            elif c == "\\" and i + 1 < len(rest):
                i += 1
                nxt = rest[i]
                out.append(nxt if nxt in '"\\`$' else "\\" + nxt)
            else:
                out.append(c)
        elif c == "'":
            state, bare_tail = "single", 0
        elif c == '"':
            state, bare_tail = "double", 0
        elif c == "\\" and i + 1 < len(rest):
            i += 1
            out.append(rest[i])
            bare_tail = 0
        else:
            out.append(c)
            bare_tail = bare_tail + 1 if c.isspace() else 0
        i += 1
    value = "".join(out)
    return value[: len(value) - bare_tail] if bare_tail else value


def write_env(path: Path, values: dict[str, str], header: str = "") -> None:
    """Write the file atomically, readable by its owner only (it holds the keys)."""
    text = format_env(values, header)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
