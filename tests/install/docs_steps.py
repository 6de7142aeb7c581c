"""The install steps as the docs write them, read from between the install-steps markers.

docs/installation.md and README.md each hold the steps between
``<!-- install-steps`` and ``<!-- /install-steps -->``. tests/install/wagtail_start.py
runs what this module reads; tests/test_install_docs.py checks that both files say the
same. Standard library only: it runs before any virtualenv exists.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "installation.md"
README = ROOT / "README.md"

START = "<!-- install-steps"
END = "<!-- /install-steps -->"
COMMAND_RE = re.compile(r"^(pip install |python manage\.py )")
SETTING_RE = re.compile(r"^([A-Z][A-Z0-9_]*) = (.+)$")


@dataclass
class Steps:
    commands: list[str] = field(default_factory=list)
    apps: list[str] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    url_lines: list[str] = field(default_factory=list)


def section(text: str) -> str:
    start = text.index(START)
    return text[start : text.index(END, start)]


def read_steps(path: Path) -> Steps:
    """The steps of one file: shell commands, apps, settings and URL lines."""
    text = section(path.read_text(encoding="utf-8"))
    steps = Steps()
    blocks = re.findall(r"```(\w*)\n(.*?)```", text, flags=re.S)
    for language, body in blocks:
        if language == "sh":
            steps.commands += [
                line.strip() for line in body.splitlines() if line.strip()
            ]
        elif language == "python":
            read_python(body, steps)
    # Commands written inline, as in README.md: "1. `pip install wagtail-securelink`".
    without_blocks = re.sub(r"```.*?```", "", text, flags=re.S)
    for span in re.findall(r"`([^`\n]+)`", without_blocks):
        if COMMAND_RE.match(span):
            steps.commands.append(span)
    return steps


def read_python(body: str, steps: Steps) -> None:
    in_apps = False
    for raw in body.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("INSTALLED_APPS = ["):
            in_apps = True
            continue
        if in_apps:
            if stripped.startswith("]"):
                in_apps = False
            else:
                steps.apps += re.findall(r'"([\w.]+)"', stripped.split("#", 1)[0])
            continue
        if "wagtail_securelink.urls" in stripped:
            steps.url_lines.append(stripped)
            continue
        match = SETTING_RE.match(stripped)
        if match and match.group(1) != "INSTALLED_APPS":
            steps.settings[match.group(1)] = match.group(2)


def add_apps(installed: list[str], apps: list[str]) -> list[str]:
    """``installed`` with each of ``apps`` placed as the docs order them.

    A missing app goes right after the nearest app before it in the docs' list that the
    project has (``wagtail_securelink`` after ``wagtail.documents``), else right before
    the nearest one after it.
    """
    result = list(installed)
    for index, app in enumerate(apps):
        if app in result:
            continue
        before = [a for a in apps[:index] if a in result]
        after = [a for a in apps[index + 1 :] if a in result]
        if before:
            result.insert(result.index(before[-1]) + 1, app)
        elif after:
            result.insert(result.index(after[0]), app)
        else:
            result.append(app)
    return result
