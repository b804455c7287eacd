# Two commands matter: `make demo` and `make test`. Each builds .venv on first use.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test bench key clean catalogs system-tools-demo system-tools-test

LOG    := $(VENV)/install.log
# pip's own chatter (index warnings, setuptools notices) goes to the log, shown only on failure.
PIP    := $(PY) -m pip install -q --disable-pip-version-check --no-warn-script-location

$(STAMP): pyproject.toml
	@echo "Setting up $(VENV) (first run only; log: $(LOG))"
	@python3 -m venv $(VENV)
	@# The local CPU build of torch first: a bare `torch` requirement would pull a CUDA build.
	@{ $(PIP) --upgrade pip && $(PIP) torch==2.13.0 && $(PIP) -e '.[test]'; } >$(LOG) 2>&1 \
	  || { cat $(LOG); echo "pip install failed (log above, also in $(LOG))"; exit 1; }
	@touch $(STAMP)

# bubblewrap (the real sandbox) for the demo; chromium and a CJK font for the browser tests.
# Installed with apt-get where the machine allows it (root), else the command to run is printed.
system-tools-demo:
	@.ci/system-tools bubblewrap

system-tools-test:
	@.ci/system-tools bubblewrap chromium fonts-noto-cjk

demo: $(STAMP) system-tools-demo
	$(VENV)/bin/grade run submissions/alice --out reports/alice
	$(VENV)/bin/grade run submissions/bob --out reports/bob
	@echo "Reports: reports/alice/alice.html, reports/bob/bob.html (and .md beside them)"

test: $(STAMP) system-tools-test
	$(VENV)/bin/pytest -q

# Re-extract the translatable strings (Python, Jinja, reference/ mistake names; see babel.cfg)
# and merge them into each language's .po; then translate the new empty msgstrs.
catalogs: $(STAMP)
	$(VENV)/bin/pybabel --quiet extract -F babel.cfg -k N_ --no-location --sort-output \
	  --project dl-homework-grader -o grader/locale/grader.pot .
	$(VENV)/bin/pybabel --quiet update -D grader -i grader/locale/grader.pot -d grader/locale \
	  --no-fuzzy-matching

key: $(STAMP)
	$(VENV)/bin/grade key assignments/demo

bench: $(STAMP)
	$(PY) -m bench.batch
	$(PY) -m bench.reeval --n 2000 --students 4 --device auto
	$(PY) -m bench.check --runs 3
	$(PY) -m bench.logs
	$(PY) -m bench.similar --students 40

clean:
	rm -rf $(VENV) reports .pytest_cache
