"""docs/api.md's curl examples, read once for every test that runs them.

Each ```bash block holding a ``curl`` command ends with ``# → <status>``; the command is
split as a shell would (``shlex``) and its ``$VARIABLES`` are filled in by ``fill``.
``test_docs_examples.py`` replays them through Django's test client;
``tests/acceptance/test_api_docs_curl.py`` runs them with the real ``curl`` against the
example site under gunicorn. Both learn ``$LINK_ID`` and ``$RECIPIENT_ID`` from the
answer to the first share (``remember``) and compare JSON answers the same way
(``expected_json``).
"""

import json
import re
import shlex
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

__all__ = ["Example", "examples", "parse", "fill", "remember", "expected_json"]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)
CREATE_PATH = "/securelink/links/"


@dataclass
class Example:
    args: list[str]  # the command as a shell splits it: ["curl", "-X", "POST", ...]
    status: int  # the "# → <status>" the docs promise
    expected: dict | None  # the ```json block that follows it, if any


def examples() -> list[Example]:
    blocks = BLOCK.findall(DOCS.read_text())
    found = []
    for index, (language, text) in enumerate(blocks):
        if language != "bash" or not text.lstrip().startswith("curl"):
            continue
        status = int(re.search(r"# → (\d{3})", text).group(1))
        command = re.sub(r"#.*", "", text).replace("\\\n", " ")
        following = blocks[index + 1] if index + 1 < len(blocks) else ("", "")
        expected = json.loads(following[1]) if following[0] == "json" else None
        found.append(Example(shlex.split(command), status, expected))
    return found


def parse(args: list[str]) -> tuple[str, dict, str | None, str | None]:
    """(method, headers, body, url) of a curl command."""
    method, headers, data, url = "GET", {}, None, None
    args = iter(args[1:])
    for arg in args:
        if arg == "-X":
            method = next(args)
        elif arg == "-H":
            name, value = next(args).split(":", 1)
            headers[name.strip()] = value.strip()
        elif arg == "-d":
            data = next(args)
        elif arg == "-o":
            next(args)  # the file curl writes the answer to
        else:
            url = arg
    return method, headers, data, url


def fill(text: str, variables: dict[str, str]) -> str:
    """``text`` with each ``$NAME`` replaced, longest names first ($API before $A)."""
    for name in sorted(variables, key=len, reverse=True):
        text = text.replace(name, variables[name])
    return text


def remember(variables: dict, method: str, url: str, status: int, body) -> None:
    """After the first share, later examples act on its link and its first person."""
    if method == "POST" and url.split("?")[0].endswith(CREATE_PATH) and status == 201:
        variables["$LINK_ID"] = str(body["id"])
        variables["$RECIPIENT_ID"] = str(body["recipients"][0]["id"])


def expected_json(expected: dict, status: int) -> dict:
    """The docs' JSON with the problem title this Python gives the status: the reason
    phrase is Python's (422 is "Unprocessable Entity" before Python 3.13,
    "Unprocessable Content" since), and the docs show one of them."""
    if "title" in expected:
        return {**expected, "title": HTTPStatus(status).phrase}
    return expected
