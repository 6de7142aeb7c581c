"""Packaging and the demo's install path: what `make demo` installs, a build that
declares its template, static and locale folders (no setuptools warning), an sdist that
holds what docs/dev/decisions.md says it holds, and metadata that PyPI renders."""

import ast
import configparser
import importlib.metadata
import re
import subprocess
import sys
import tarfile
import unicodedata
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import wagtail_securelink

ROOT = Path(__file__).resolve().parent.parent
# The package whose imports and docs URLs are read: the checkout's, or the installed
# wheel's under `make test-wheel` (which runs from a copy without the package).
PACKAGE = Path(wagtail_securelink.__file__).resolve().parent
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
    for folder in ("example_site/", "benchmarks/", "deploy/", "scripts/", "changes/"):
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


# -- One docs site: Read the Docs, mkdocs.yml, the checks' hints and README.md ---------

DOCS_SITE = "https://wagtail-securelink.readthedocs.io/en/latest/"
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def slugify(heading: str) -> str:
    """The anchor Python-Markdown's toc extension (mkdocs.yml) gives a heading."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def docs_anchors(page: Path) -> set[str]:
    anchors, fenced = set(), False
    for line in page.read_text().splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"#{1,6} (.+)", line)):
            anchors.add(slugify(match.group(1)))
    return anchors


def assert_on_the_docs_site(url: str) -> None:
    """``url`` is a page (and heading) that mkdocs builds from docs/."""
    assert url.startswith(DOCS_SITE), url
    path, _, anchor = url.removeprefix(DOCS_SITE).partition("#")
    page = ROOT / "docs" / (f"{path.rstrip('/')}.md" if path else "index.md")
    assert path == "" or path.endswith("/"), f"{url}: mkdocs serves pages as folders"
    assert page.exists(), url
    if anchor:
        assert anchor in docs_anchors(page), url


def test_the_docs_have_one_site_url_that_read_the_docs_builds():
    yaml = pytest.importorskip("yaml")
    from wagtail_securelink.core.paths import DOCS_URL

    mkdocs = (ROOT / "mkdocs.yml").read_text()
    assert re.search(rf"^site_url: {re.escape(DOCS_SITE)}$", mkdocs, re.M)
    assert DOCS_URL == DOCS_SITE
    rtd = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())
    assert rtd["version"] == 2
    assert rtd["mkdocs"] == {"configuration": "mkdocs.yml", "fail_on_warning": True}
    (install,) = rtd["python"]["install"]
    assert install == {"method": "pip", "path": ".", "extra_requirements": ["docs"]}
    assert "docs" in extras()
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert f"Documentation = {DOCS_SITE}" in config["metadata"]["project_urls"]


def test_every_docs_url_in_the_package_is_a_page_of_the_docs_site():
    # The system checks' hints: DOCS_URL + page, docs_hint(page) or a literal URL.
    urls = set()
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text()
        urls |= {
            DOCS_SITE + page
            for page in re.findall(r"DOCS_URL\}([^\"'\s]*)", source)
            + re.findall(r"docs_hint\(\s*[\"']([^\"']*)", source)
        }
        urls |= set(re.findall(r"https://wagtail-securelink\.[^\"'\s)>]*", source))
    # docs_hint's own f"{DOCS_URL}{page}" is the one that builds the others.
    urls.discard(DOCS_SITE + "{page}")
    assert len(urls) > 5, urls
    for url in urls:
        assert_on_the_docs_site(url)


def test_the_readme_links_work_on_pypi():
    # PyPI shows README.md without the repository: a relative link is a dead link.
    readme = (ROOT / "README.md").read_text()
    links = MARKDOWN_LINK.findall(readme)
    assert links
    relative = [link for link in links if not link.startswith(("https://", "#"))]
    assert relative == []
    for link in links:
        if "readthedocs" in link:
            assert_on_the_docs_site(link)


@pytest.mark.process
def test_the_metadata_renders_on_pypi(sdist, tmp_path):
    pytest.importorskip("twine")
    from readme_renderer.markdown import render

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
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = tmp_path.glob("*.whl")
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    with tarfile.open(sdist) as tar:
        (pkg_info,) = [
            m
            for m in tar.getmembers()
            if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
        ]
        metadata = tar.extractfile(pkg_info).read().decode()
    headers, _, description = metadata.partition("\n\n")
    assert "Description-Content-Type: text/markdown" in headers
    html = render(description)
    assert html, "the long description does not render as Markdown"
    assert 'href="docs/' not in html


# -- Metadata: what the package imports is what it declares --------------------------


def install_requires() -> list[Requirement]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return [
        Requirement(line.strip())
        for line in config["options"]["install_requires"].splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def package_imports() -> dict[str, bool]:
    """Top-level names the package imports: True if at module level somewhere."""
    found: dict[str, bool] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                found[top] = found.get(top, False) or node.col_offset == 0
    return found


def test_every_third_party_import_is_declared():
    # Wagtail brings Pillow, openpyxl, django-filter, django-ninja and pydantic today;
    # a Wagtail release that stops bringing one must not break us.
    distributions = importlib.metadata.packages_distributions()
    declared = {canonicalize_name(req.name) for req in install_requires()}
    optional = set().union(*extras().values())
    missing = []
    for name, module_level in sorted(package_imports().items()):
        if name in sys.stdlib_module_names or name in {
            "wagtail_securelink",
            "__future__",
        }:
            continue
        dists = {canonicalize_name(dist) for dist in distributions.get(name, [])}
        assert dists, f"{name}: no installed distribution provides it"
        # An import inside a function (django_tasks_db, behind apps.is_installed)
        # may come from an extra; one at module level runs for every user.
        allowed = declared if module_level else declared | optional
        if not dists & allowed:
            missing.append((name, sorted(dists)))
    assert missing == []
    for expected in ("pillow", "openpyxl", "django-filter", "django-ninja", "pydantic"):
        assert expected in declared


def test_no_upper_bound_on_what_users_install():
    # Wagtail's package maintainers' guide: no caps. tox.ini tests each combination.
    capped = [
        str(req)
        for req in install_requires()
        if any(spec.operator in {"<", "<=", "==", "~="} for spec in req.specifier)
    ]
    assert capped == []


def test_the_sendfile_hand_off_has_an_extra():
    # wagtail.utils.sendfile imports SENDFILE_BACKEND by path, so no import of ours
    # names django_sendfile: the extra is what docs/deployment.md tells users to install.
    assert extras()["sendfile"] == {"django-sendfile2"}
    assert (
        "wagtail-securelink[sendfile]" in (ROOT / "docs" / "deployment.md").read_text()
    )
    assert "django-sendfile2" in {
        canonicalize_name(dist)
        for dist in importlib.metadata.packages_distributions().get(
            "django_sendfile", []
        )
    }


@pytest.mark.process
def test_the_sdist_metadata_has_a_license_expression(sdist):
    with tarfile.open(sdist) as tar:
        (pkg_info,) = [
            member
            for member in tar.getmembers()
            if member.name.count("/") == 1 and member.name.endswith("/PKG-INFO")
        ]
        headers = tar.extractfile(pkg_info).read().decode().partition("\n\n")[0]
    assert "Metadata-Version: 2.4" in headers
    assert "License-Expression: BSD-3-Clause" in headers.splitlines()
    assert "License-File: LICENSE" in headers.splitlines()
    assert "Classifier: License ::" not in headers
    assert "BSD 3-Clause License" in (ROOT / "LICENSE").read_text().splitlines()[0]
    for req in install_requires():
        assert f"Requires-Dist: {req}" in headers


# -- Release notes, security contact, release process --------------------------------

KEEP_A_CHANGELOG = ["Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"]


def test_security_md_gives_the_address_the_metadata_publishes():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    address = config["metadata"]["maintainer_email"].strip()
    assert re.fullmatch(r"security@[a-z0-9-]+(\.[a-z0-9-]+)+", address), address
    assert not re.search(r"example|your|localhost|\.test$|\.invalid$", address)
    security = (ROOT / "SECURITY.md").read_text()
    assert address in security
    # The contact works without a repository: no "on the repository" as the only way.
    assert "github" not in security.lower()


def test_the_changelog_reads_as_release_notes():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "keepachangelog.com" in changelog
    unreleased = changelog.split("\n## [Unreleased]\n", 1)[1].split("\n## ", 1)[0]
    headings = re.findall(r"^### (.+)$", unreleased, re.M)
    assert headings == KEEP_A_CHANGELOG
    bullets = re.findall(r"^- .*(?:\n  .*)*", changelog, re.M)
    assert bullets
    # Concise: a bullet is a few lines, not a development log entry.
    assert max(bullet.count("\n") + 1 for bullet in bullets) <= 4
    assert len(changelog.splitlines()) < 150
    # The development log moved to the contributors' docs, and is in the site's nav.
    log = ROOT / "docs" / "dev" / "development-log.md"
    assert log.read_text().startswith("# Development log")
    assert "dev/development-log.md" in (ROOT / "mkdocs.yml").read_text()
    assert (
        'include-markdown "../CHANGELOG.md"'
        in (ROOT / "docs" / "changelog.md").read_text()
    )
    assert "folded into" in (ROOT / "changes" / "README").read_text()


def test_contributing_has_a_release_process():
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    release = contributing.split("\n## Releasing\n", 1)[1]
    for step in (
        "__version__",
        "git tag -a v",
        "make build",
        "twine check --strict",
        "trusted publisher",
        "id-token: write",
        "## [Unreleased]",
        "changes/*.md",
    ):
        assert step in release, step
    assert "wagtail_securelink/__init__.py" in release
    assert (PACKAGE / "__init__.py").read_text().startswith("__version__")
