"""``securelink_envfile``: the environment file reads back the same in ``sh`` and in a
systemd-style ``EnvironmentFile=`` parser, for any key ``get_random_secret_key()`` makes."""

import random
import stat
import subprocess
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.utils import get_random_secret_key

from wagtail_securelink.operations.envfile import format_env, parse_env, write_env

# Every character get_random_secret_key() may use, and the ones sh and systemd treat
# specially besides.
NASTY = "abc!@#$%^&*(-_=+)'\"\\`;|<> x{}[]~?,"


def sh_reads(path, name: str) -> str:
    done = subprocess.run(
        ["sh", "-c", f'set -a; . "$0"; set +a; printf %s "${name}"', str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    return done.stdout


def envfile(*args) -> str:
    out = StringIO()
    call_command("securelink_envfile", *args, stdout=out)
    return out.getvalue()


def test_many_random_keys_read_back_the_same_in_sh_and_systemd(tmp_path):
    path = tmp_path / "env"
    rng = random.Random(30)
    keys = [get_random_secret_key() for _ in range(150)]
    keys += ["".join(rng.choice(NASTY) for _ in range(50)) for _ in range(50)]
    keys += ["'", "''", "a'b", " lead", "trail ", "$HOME", "#not a comment", ""]
    for key in keys:
        write_env(path, {"SECRET_KEY": key, "OTHER": "x"})
        assert parse_env(path.read_text())["SECRET_KEY"] == key, key
        assert sh_reads(path, "SECRET_KEY") == key, key


def test_a_bare_key_breaks_sh_as_the_issue_says(tmp_path):
    path = tmp_path / "env"
    path.write_text("SECRET_KEY=ab&c(d)$e\n")
    done = subprocess.run(["sh", "-c", '. "$0"', str(path)], capture_output=True)
    assert done.returncode != 0


def test_the_parser_reads_systemd_forms():
    text = (
        "# comment\n; comment\n\nexport A=plain  \nB='single $x'\n"
        'C="double \\"q\\" \\$x"\nD=\'a\'"\'"\'b\'\nnot a line\n'
    )
    assert parse_env(text) == {
        "A": "plain",
        "B": "single $x",
        "C": 'double "q" $x',
        "D": "a'b",
    }


def test_line_breaks_are_refused():
    with pytest.raises(ValueError):
        format_env({"A": "one\ntwo"})


def test_the_command_writes_rotates_and_drops(tmp_path):
    path = tmp_path / "env"
    out = envfile(str(path), "--set", "DATABASE_URL=postgres://u:p&q@h/db")
    assert "SECRET_KEY generated" in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = parse_env(path.read_text())
    assert len(first["SECRET_KEY"]) == 50 and first["SECRET_KEY_FALLBACKS"] == ""
    assert sh_reads(path, "SECRET_KEY") == first["SECRET_KEY"]
    assert sh_reads(path, "DATABASE_URL") == "postgres://u:p&q@h/db"
    assert first["SECRET_KEY"] not in out  # the key is never printed

    assert "SECRET_KEY kept" in envfile(str(path))
    assert parse_env(path.read_text()) == first

    envfile(str(path), "--rotate-secret-key")
    second = parse_env(path.read_text())
    assert second["SECRET_KEY"] != first["SECRET_KEY"]
    assert second["SECRET_KEY_FALLBACKS"] == first["SECRET_KEY"]
    assert sh_reads(path, "SECRET_KEY_FALLBACKS") == first["SECRET_KEY"]
    assert second["DATABASE_URL"] == first["DATABASE_URL"]

    envfile(str(path), "--rotate-secret-key")
    third = parse_env(path.read_text())
    assert third["SECRET_KEY_FALLBACKS"].split(",") == [
        second["SECRET_KEY"],
        first["SECRET_KEY"],
    ]
    envfile(str(path), "--drop-fallbacks")
    assert parse_env(path.read_text())["SECRET_KEY_FALLBACKS"] == ""
    assert parse_env(path.read_text())["SECRET_KEY"] == third["SECRET_KEY"]


def test_the_command_refuses_a_bad_set(tmp_path):
    with pytest.raises(CommandError, match="NAME=VALUE"):
        envfile(str(tmp_path / "env"), "--set", "NOEQUALS")
