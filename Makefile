VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint clean browser

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# Reinstall when the package metadata or the pins change.
$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PIP) install -q -c constraints.txt -e '.[test,bench,ray]'
	touch $(STAMP)

install: $(STAMP)

# The main job: the self-contained HTML report (catalog, properties, claims, plots, accuracy,
# approximation demo, gradient flow, mean field, ...) in actlab-report/report.html.
demo: $(STAMP)
	$(VENV)/bin/actlab bench train --profile ci
	$(VENV)/bin/actlab report --quick --out actlab-report

# The browser tests drive Debian's Chromium through Playwright (never `playwright install`).
# As root (CI) it is installed here; elsewhere those tests are skipped with a message.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	else echo "note: /usr/bin/chromium missing and not root: browser tests will be skipped"; fi

test: $(STAMP) browser
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -n 2 --dist loadgroup

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
