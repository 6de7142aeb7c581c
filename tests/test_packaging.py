"""Packaging and the demo's install path: what `make demo` installs, a build that
declares its template, static and locale folders (no setuptools warning), an sdist that
holds what docs/dev/decisions.md says it holds, and metadata that PyPI renders."""

import ast
import configparser
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SITE = ROOT / "example_site"
TEST_TOOLS = {"pytest", "hypothesis", "ruff", "bandit", "gunicorn", "aiosmtpd", "build"}


def extras() -> dict[str, set[str]]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    section = config["options.extras_require"]
    return {
        name: {
            line.split(">")[0].split("<")[0].split("[")[0].split("=")[0].strip().lower()
            for line in section[name].splitlines()
            if line.strip() and not line.strip().startswith("#")
        }
        for name in section
    }


@pytest.mark.process
def test_make_demo_installs_the_example_extra_not_the_test_tools(tmp_path):
    # -n: print the recipe without running it, for a virtualenv that does not exist.
    result = subprocess.run(
        ["make", "-n", "demo", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    installs = [line for line in result.stdout.splitlines() if "pip install" in line]
    assert installs == [line for line in installs if "-e '.[example]'" in line]
    assert installs, result.stdout
    assert "testing" not in result.stdout
    assert "runserver" in result.stdout
    # DEMO_NO_SERVE stops before the server; the set-up steps stay.
    quiet = subprocess.run(
        ["make", "-n", "demo", f"VENV={tmp_path / 'venv'}", "DEMO_NO_SERVE=1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "load_demo" in quiet.stdout


def test_the_example_extra_has_what_the_example_site_imports_and_no_test_tool():
    example = extras()["example"]
    assert not example & TEST_TOOLS
    # The example site's third-party imports outside the package's own requirements.
    imported = set()
    for path in EXAMPLE_SITE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import) and node.col_offset == 0:
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.col_offset == 0:
                if node.module and node.level == 0:
                    imported.add(node.module.split(".")[0])
    third_party = (
        imported
        - set(sys.stdlib_module_names)
        - {
            "django",
            "wagtail",
            "wagtail_securelink",
            "example_site",
            "demo",
        }
    )
    assert {name.replace("_", "-") for name in third_party} <= example
    # The test extras still carry everything the example needs.
    assert example <= extras()["testing"]


@pytest.mark.process
def test_the_wheel_builds_without_warnings_and_carries_the_data(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--outdir",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "BuildBackendWarning" not in output
    assert "absent from the `packages` configuration" not in output
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "wagtail_securelink/templates/wagtail_securelink/admin/manage.html",
        "wagtail_securelink/templates/wagtail_securelink/emails/code.txt",
        "wagtail_securelink/static/wagtail_securelink/admin.css",
        "wagtail_securelink/locale/fr/LC_MESSAGES/django.mo",
    ):
        assert expected in names
    assert not [name for name in names if "__pycache__" in name]


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    """The sdist as `python -m build --sdist` makes it from this checkout."""
    if not (ROOT / "pyproject.toml").exists():
        pytest.skip("not a checkout (make test-wheel runs from a copy of tests/)")
    outdir = tmp_path_factory.mktemp("sdist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(outdir), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (archive,) = outdir.glob("*.tar.gz")
    return archive


def sdist_names(archive: Path) -> set[str]:
    """The sdist's files, relative to its top folder (``wagtail_securelink-X.Y/``)."""
    with tarfile.open(archive) as tar:
        return {
            name.split("/", 1)[1]
            for name in tar.getnames()
            if "/" in name and not name.endswith("/")
        }


@pytest.mark.process
def test_the_sdist_ships_the_package_and_neither_tests_nor_docs(sdist):
    # docs/dev/decisions.md, "What the sdist ships": the whole suite or none of it,
    # docs/ with mkdocs.yml or neither; we ship neither.
    names = sdist_names(sdist)
    assert not [name for name in names if name.startswith("tests/")]
    assert not [name for name in names if name.startswith("docs/")]
    assert "mkdocs.yml" not in names
    for folder in ("example_site/", "benchmarks/", "deploy/", "scripts/"):
        assert not [name for name in names if name.startswith(folder)], folder
    for top in (
        "README.md",
        "CHANGELOG.md",
        "CONTRIBUTING.md",
        "SECURITY.md",
        "LICENSE",
    ):
        assert top in names
    assert {"setup.cfg", "pyproject.toml", "PKG-INFO"} <= names
    # Every file of the package is there: modules, templates, static, translations.
    package = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "wagtail_securelink").rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in {".pyc", ".pyo"}
    }
    assert package - names == set()
    assert not [
        name for name in names if "__pycache__" in name or name.endswith(".pyc")
    ]
