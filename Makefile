# datumkit: every command a user or CI runs, in one place. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATUM := $(BIN)/datum
UPSTREAM := build/upstream/banking77-upstream.git
# The install stamp is named after a hash of what the install depends on ([project] and
# [build-system] of pyproject.toml), not the file's date: adding a mirror mapping under
# [tool.datumkit] must not reinstall the venv (which fails offline).
DEPS_HASH := $(shell $(PYTHON) -c 'import hashlib, json, tomllib; d = tomllib.load(open("pyproject.toml", "rb")); print(hashlib.sha256(json.dumps([d.get("project"), d.get("build-system")], sort_keys=True).encode()).hexdigest()[:16])')
STAMP := $(VENV)/.installed-$(DEPS_HASH)

.DEFAULT_GOAL := help
.PHONY: help setup example-upstream demo datum datums test lint format clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed*
	@touch $@

setup: $(STAMP)  ## Create .venv and install datumkit with its dev tools

$(UPSTREAM): $(STAMP) examples/build_upstream.py examples/banking77-upstream.toml $(shell find examples/banking77-upstream -type f -not -path '*/__pycache__/*')
	$(BIN)/python examples/build_upstream.py examples/banking77-upstream.toml $(UPSTREAM)

example-upstream: $(UPSTREAM)  ## Build the example's upstream repository (fixed SHAs, no network)

demo: $(STAMP) $(UPSTREAM)  ## Set up, build the example upstream, make the banking77 datum, show it
	@$(MAKE) --no-print-directory datum NAME=banking77
	@echo; echo "== datums"; $(DATUM) list
	@echo; echo "== datums/banking77"; find datums/banking77 -type f | sort
	@echo; echo "== datums/banking77/datum.lock"; cat datums/banking77/datum.lock
	@rm -rf build/demo
	@echo; echo "== the upstream's own evaluation, before and after the patch (datum materialize)"
	@$(DATUM) materialize banking77 build/demo/baseline --baseline
	@$(DATUM) materialize banking77 build/demo/patched
	@printf 'baseline: '; cd build/demo/baseline && PYTHONDONTWRITEBYTECODE=1 $(CURDIR)/$(BIN)/python -m banking77.evaluate
	@printf 'patched:  '; cd build/demo/patched && PYTHONDONTWRITEBYTECODE=1 $(CURDIR)/$(BIN)/python -m banking77.evaluate

# The bundled example's upstream is built on demand, so `make datum NAME=banking77` works right
# after a clone and `make setup`.
datum: $(STAMP) $(if $(filter banking77,$(NAME)),$(UPSTREAM))  ## Generate and check one datum: make datum NAME=banking77
	@test -n "$(NAME)" || { echo "usage: make datum NAME=<datum name>" >&2; exit 2; }
	$(DATUM) generate $(NAME)
	$(DATUM) check $(NAME)

.PHONY: test-datum
test-datum: $(STAMP) $(UPSTREAM)  ## Run a datum's declared tests, write its receipt: make test-datum NAME=banking77
	@test -n "$(NAME)" || { echo "usage: make test-datum NAME=<datum name> [REPEAT=K]" >&2; exit 2; }
	$(DATUM) test $(NAME) $(if $(REPEAT),--repeat $(REPEAT))

datums: $(STAMP) $(UPSTREAM)  ## Generate and check every datum
	$(DATUM) generate --all
	$(DATUM) check --all

.PHONY: bundle
bundle: $(STAMP)  ## Created-task dir -> checked datum: make bundle CREATED=data/tasks/created/x NAME=x
	@test -n "$(CREATED)" -a -n "$(NAME)" || { echo "usage: make bundle CREATED=<created-task dir> NAME=<datum name> [FORCE=1]" >&2; exit 2; }
	$(DATUM) bundle "$(CREATED)" --name "$(NAME)" $(if $(FORCE),--force)

test: $(STAMP)  ## Run the test-suite
	$(BIN)/pytest

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)  ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:  ## Remove the venv and build outputs
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
