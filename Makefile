# Two commands matter: `make demo` and `make test`. Each builds .venv on first use.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test bench key clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The local CPU build of torch first: a bare `torch` requirement would pull a CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/grade run submissions/alice --out reports/alice
	$(VENV)/bin/grade run submissions/bob --out reports/bob
	@echo "Reports: reports/alice/alice.html, reports/bob/bob.html (and .md beside them)"

test: $(STAMP)
	$(VENV)/bin/pytest -q

key: $(STAMP)
	$(VENV)/bin/grade key assignments/demo

bench: $(STAMP)
	$(PY) -m bench.batch
	$(PY) -m bench.reeval --n 2000 --students 4 --device auto

clean:
	rm -rf $(VENV) reports .pytest_cache
