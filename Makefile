# Developer entry points. `make help` lists them.

PYTHON ?= python3
VENV ?= .venv
WHEEL_VENV ?= .venv-wheel

# Absolute paths, so recipes that `cd` elsewhere still find the interpreters.
PY := $(abspath $(VENV))/bin/python
WHEEL_PY := $(abspath $(WHEEL_VENV))/bin/python
STAMP := $(VENV)/.installed
# `make demo` installs only the package and what the example site needs (the `example`
# extra); the test tool chain comes with `make venv` / `make test`.
DEMO_STAMP := $(VENV)/.installed-demo

PYTEST_ARGS ?=
# Wagtail's own documents tests, run with our app installed (see
# tests/wagtail_suite/settings.py and docs/dev/wagtail-suite-baseline.md).
WAGTAIL_SUITE_ARGS ?= wagtail.documents -v 1 --parallel 1

DEMO_ADDR ?= 127.0.0.1:8000
# DEMO_NO_SERVE=1: set the demo up and stop before runserver (timings, CI).
DEMO_NO_SERVE ?=

.DEFAULT_GOAL := help

.PHONY: help venv test test-fast test-wagtail test-wagtail-baseline lint format demo \
	build test-wheel check clean distclean
.PHONY: services-up services-down test-scaleout test-scaleout-newest test-nginx loadtest \
	bench-worker bench-scale

help:
	@echo "make venv         create $(VENV) from $(PYTHON) and install -e .[testing]"
	@echo "make test         run the pytest suite, then Wagtail's documents suite with our app"
	@echo "make test-fast    the edit loop: the suite on every core, without the slow tests and those that start servers or processes"
	@echo "make test-e2e     browser tests: Chromium drives the example site (installs Chromium, Playwright, axe-core)"
	@echo "make test-newest  fresh .venv-newest: Python 3.13, Django 6.1, Wagtail 8.0; the pytest suite"
	@echo "make test-oldest  fresh .venv-oldest: Python 3.11, Django 5.2, Wagtail 7.4; the pytest suite"
	@echo "make test-wagtail-start  a new \`wagtail start\` project, the README's install steps, the visitor flow"
	@echo "make test-wagtail run Wagtail's own documents tests with wagtail_securelink installed"
	@echo "make test-wagtail-baseline   the same tests without wagtail_securelink"
	@echo "make lint         ruff check + ruff format --check"
	@echo "make format       ruff format + ruff check --fix"
	@echo "make demo         install the package and the example's needs, migrate, load demo data, run the example site on $(DEMO_ADDR)"
	@echo "make docs         build the documentation site into site/ (warnings are errors)"
	@echo "make build        build sdist and wheel into dist/"
	@echo "make test-wheel   install the built wheel into $(WHEEL_VENV) and run the suite against it"
	@echo "make check        system checks and migration check on the example site"
	@echo "make clean        remove build and test artefacts (keeps $(VENV))"
	@echo "make distclean    clean, and remove $(VENV) and the demo database, media and private files"
	@echo "make services-up  start throw-away PostgreSQL and Redis on 127.0.0.1 (installs them if missing)"
	@echo "make services-down  stop them and delete their data"
	@echo "make test-scaleout  the whole pytest suite on PostgreSQL + Redis, multi-process tests included"
	@echo "make test-scaleout-newest  the same on Python 3.13, Django 6.1, Wagtail 8.0 (fresh .venv-newest)"
	@echo "make test-nginx   nginx -t on deploy/nginx/securelink.conf, then its access log grepped for tokens (installs nginx when missing)"
	@echo "make test-systemd  deploy/systemd units: required keys, systemd-analyze verify"
	@echo "make test-worker-recovery  PostgreSQL restarted under a running db_worker: email resumes"
	@echo "make loadtest     $(LOADTEST_VISITORS) visitors for $(LOADTEST_SECONDS) s through 2 gunicorns on PostgreSQL + Redis"
	@echo "make bench-scale  admin pages and audit sealing at SPEC §9's size against a small site, on PostgreSQL (about 15 minutes)"
	@echo "make bench-passkey  landing to document with a passkey against with an emailed code, in Chromium ($(BENCH_PASSKEY_ROUNDS) rounds)"
	@echo "make bench-worker one db_worker sending $(BENCH_WORKER_EMAILS) code emails against plain send_mail tasks, CPU per email, a profile"

venv: $(STAMP)

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "wagtail-securelink needs Python >= 3.11; $(PYTHON) is $$($(PYTHON) -V 2>&1)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency declarations change.
$(STAMP): setup.cfg pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[testing]'
	@touch $@ $(DEMO_STAMP)

# The testing extras include the example's, so a venv made for the tests serves the demo.
$(DEMO_STAMP): setup.cfg pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[example]'
	@touch $@

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)
	$(MAKE) test-wagtail

# The edit loop: what `make test` runs, less the tests that start servers or other
# processes and those named slow in tests/conftest.py, spread over the machine's cores
# (pytest-xdist; one test database each). `make test` and .ci/run run them all.
FAST_WORKERS ?= auto
test-fast: venv
	$(PY) -m pytest -q -m "not e2e and not acceptance and not process and not slow" -n $(FAST_WORKERS) $(PYTEST_ARGS)

# -- The ends of the supported matrix (tox.ini has all of it) --------------------------
# Each target builds its own virtualenv from scratch and installs the package as a user
# would (`pip install '.[testing]' Django… wagtail…`), then runs the pytest suite.
# scripts/test-combination.sh sets PYENV_VERSION where pyenv is present and stops with a
# clear message when the interpreter is missing.
NEWEST_PYTHON ?= python3.13
OLDEST_PYTHON ?= python3.11
MATRIX_PYTEST_ARGS ?= -q -x

.PHONY: test-newest test-oldest test-wagtail-start
test-newest:
	scripts/test-combination.sh .venv-newest $(NEWEST_PYTHON) 'Django>=6.1,<6.2' 'wagtail>=8.0,<8.1' $(MATRIX_PYTEST_ARGS)

test-oldest:
	scripts/test-combination.sh .venv-oldest $(OLDEST_PYTHON) 'Django>=5.2,<5.3' 'wagtail>=7.4,<7.5' $(MATRIX_PYTEST_ARGS)

# A project made by the newest `wagtail start`, the install steps of README.md, then the
# visitor flow under gunicorn with 3 workers (tests/install/wagtail_start.py).
test-wagtail-start:
	@if command -v pyenv >/dev/null 2>&1; then export PYENV_VERSION=3.11.7:3.12.1:3.13.0; fi; \
	command -v $(NEWEST_PYTHON) >/dev/null 2>&1 && $(NEWEST_PYTHON) -c 'import sys' 2>/dev/null || \
		{ echo "error: $(NEWEST_PYTHON) is not available (pyenv install 3.13, or NEWEST_PYTHON=...)" >&2; exit 1; }; \
	$(NEWEST_PYTHON) tests/install/wagtail_start.py

test-wagtail: venv
	$(PY) -m django test $(WAGTAIL_SUITE_ARGS) --settings=tests.wagtail_suite.settings

test-wagtail-baseline: venv
	$(PY) -m django test $(WAGTAIL_SUITE_ARGS) --settings=tests.wagtail_suite.settings_baseline

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

demo: $(DEMO_STAMP)
	cd example_site && $(PY) manage.py migrate --noinput
	cd example_site && $(PY) manage.py load_demo
	cd example_site && $(PY) manage.py demo_api_token
	@if [ -z "$(DEMO_NO_SERVE)" ]; then cd example_site && $(PY) manage.py runserver $(DEMO_ADDR); fi

build: venv
	rm -rf dist
	$(PY) -m build --outdir dist .

# Run the suite against the installed wheel rather than the checkout: from a
# temporary copy of tests/ (and the example site), so that `import
# wagtail_securelink` can only resolve to site-packages. This catches files
# missing from the wheel (templates, migrations, static, locale).
test-wheel: build
	rm -rf $(WHEEL_VENV)
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_PY) -m pip install --quiet --upgrade pip
	$(WHEEL_PY) -m pip install --quiet "$$(ls dist/*.whl)[testing]"
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp -R tests example_site deploy docs changes README.md CHANGELOG.md CONTRIBUTING.md SECURITY.md \
		LICENSE setup.cfg mkdocs.yml .readthedocs.yaml "$$tmp"/; \
	rm -rf "$$tmp"/example_site/db.sqlite3 "$$tmp"/example_site/media "$$tmp"/example_site/securelink_private; \
	cd "$$tmp"; \
	$(WHEEL_PY) -c 'import sys, wagtail_securelink as m; print("wagtail_securelink imported from", m.__file__); sys.exit("site-packages" not in m.__file__)'; \
	$(WHEEL_PY) -m pytest $(PYTEST_ARGS)

check: venv
	cd example_site && $(PY) manage.py check
	cd example_site && $(PY) manage.py makemigrations --check --dry-run
	cd example_site && SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		BASE_URL=https://share.example.com ALLOWED_HOSTS=share.example.com \
		DEFAULT_FROM_EMAIL="Secure links <noreply@share.university.ac.uk>" \
		$(PY) manage.py check --deploy --fail-level WARNING --settings=example_site.settings_production

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .hypothesis .tox $(WHEEL_VENV) .venv-newest .venv-oldest
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) example_site/db.sqlite3 example_site/media example_site/securelink_private example_site/static

# -- Scale-out shape (SPEC §9): PostgreSQL, Redis, a task worker, several processes --
# scripts/services.sh starts the servers on 127.0.0.1 with throw-away data and, with
# `run`, stops what it started once the command is done (pass or fail).

SCALEOUT_PYTEST_ARGS ?= -x -q -p no:cacheprovider
LOADTEST_VISITORS ?= 100
LOADTEST_SECONDS ?= 60
LOADTEST_ARGS ?=
BENCH_WORKER_EMAILS ?= 300
BENCH_WORKER_ARGS ?=

services-up:
	scripts/services.sh up

services-down:
	scripts/services.sh down

test-scaleout: venv
	SCALEOUT_REQUIRED=1 scripts/services.sh run $(PY) -m pytest $(SCALEOUT_PYTEST_ARGS) $(PYTEST_ARGS)

# The newest supported combination in the scale-out shape: Django 6 refuses
# Wagtail's GinIndex without django.contrib.postgres, which only this run can show.
test-scaleout-newest:
	SCALEOUT_REQUIRED=1 scripts/services.sh run scripts/test-combination.sh .venv-newest \
		$(NEWEST_PYTHON) 'Django>=6.1,<6.2' 'wagtail>=8.0,<8.1' $(SCALEOUT_PYTEST_ARGS) $(PYTEST_ARGS)

# The nginx configuration that docs/deployment.md ships, checked by nginx itself
# (the X-Accel-Redirect tests in tests/scaleout/test_nginx.py run it for real).
test-nginx: venv
	PY=$(PY) scripts/nginx.sh check
	$(PY) -m pytest -q -p no:cacheprovider tests/operations/test_nginx_log.py

# The systemd units of deploy/systemd/: the keys each needs, and `systemd-analyze
# verify` on copies with this machine's paths (Debian's systemd package provides it;
# without it that test is skipped unless SYSTEMD_REQUIRED=1).
.PHONY: test-systemd
test-systemd: venv
	SYSTEMD_REQUIRED=1 $(PY) -m pytest -q -p no:cacheprovider tests/operations/test_systemd_units.py

# PostgreSQL stopped and started again under a running db_worker (supervised as the
# systemd unit of docs/deployment.md does): email delivery must resume.
.PHONY: test-worker-recovery
test-worker-recovery: venv
	scripts/services.sh run $(PY) scripts/worker_recovery.py

loadtest: venv
	scripts/services.sh run $(PY) benchmarks/loadtest.py \
		--visitors $(LOADTEST_VISITORS) --seconds $(LOADTEST_SECONDS) $(LOADTEST_ARGS)

# One task worker (`db_worker --batch`) on queued code emails, side by side with tasks
# sending a plain send_mail: emails a second, CPU per email, then a cProfile.
bench-worker: venv
	scripts/services.sh run $(PY) benchmarks/worker_throughput.py \
		--emails $(BENCH_WORKER_EMAILS) $(BENCH_WORKER_ARGS)

# Benchmarks (docs/performance.md): a throw-away site on 127.0.0.1, every scenario side
# by side, a markdown table on stdout and in benchmarks/results/latest.md. Needs wrk,
# nginx, curl and zip from Debian (installed here when missing and running as root).
# DATABASE_URL=postgres://… runs it on an empty, throw-away PostgreSQL database.
# SPEC §9 "Size": both sites built in one throw-away PostgreSQL, pages timed in
# alternating rounds, the sealer's rate and peak memory at two backlogs (docs/performance.md).
# SCALE_ONLY=ten (ten million events) takes 35 to 45 minutes here: BENCH_SCALE_TIMEOUT.
BENCH_SCALE_TIMEOUT ?= $(if $(filter ten,$(SCALE_ONLY)),4800,2400)
bench-scale: venv
	timeout $(BENCH_SCALE_TIMEOUT) scripts/services.sh run $(PY) benchmarks/scale.py

.PHONY: bench
bench: venv
	@for tool in wrk nginx curl zip; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light curl zip; \
		else echo "make bench needs:$$missing (apt-get install wrk nginx-light curl zip)"; exit 2; fi; \
	fi
	$(PY) -m pip install --quiet -r benchmarks/requirements.txt
	timeout 1800 $(PY) benchmarks/run.py
	timeout 900 $(PY) benchmarks/view_only.py

# -- Browser tests (tests/e2e): Playwright drives Debian's Chromium against the example
# site under gunicorn on 127.0.0.1, with a real SMTP server; axe-core checks each page.
# scripts/install-browser.sh installs what is missing (Chromium needs root or sudo).
E2E_PYTEST_ARGS ?= -p no:cacheprovider
.PHONY: test-e2e
test-e2e: venv
	scripts/install-browser.sh $(VENV)
	$(PY) -m pytest -m e2e tests/e2e $(E2E_PYTEST_ARGS)

# Issue 29: landing to document with a passkey against with an emailed code, in
# Chromium with a virtual authenticator, on the browser tests' site with a task worker
# (benchmarks/passkey_vs_code.py; docs/performance.md, "Passkey or code").
BENCH_PASSKEY_ROUNDS ?= 10
BENCH_PASSKEY_ARGS ?=
.PHONY: bench-passkey
bench-passkey: venv
	scripts/install-browser.sh $(VENV)
	timeout 900 $(PY) benchmarks/passkey_vs_code.py --rounds $(BENCH_PASSKEY_ROUNDS) $(BENCH_PASSKEY_ARGS)

# Static security checks: bandit over the package, medium and high findings
# fail (each accepted one carries `# nosec BXXX` and its reason in the code).
.PHONY: security
security: venv
	$(VENV)/bin/bandit -r wagtail_securelink -q --severity-level medium

# The documentation site (MkDocs): built into site/, every warning an error.
DOCS_STAMP := $(VENV)/.docs-installed
$(DOCS_STAMP): setup.cfg | $(STAMP)
	$(PY) -m pip install --quiet -e '.[docs]'
	@touch $@

.PHONY: docs
docs: $(DOCS_STAMP)
	$(VENV)/bin/mkdocs build --strict
