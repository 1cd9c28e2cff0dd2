# The CNN workbook. `make lab` opens it, `make test` runs every test.
# Both create the virtual environment .venv first when it is missing.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: help lab test doctor notebooks figures bench clean-venv

help:
	@echo "make lab        open the workbook in JupyterLab"
	@echo "make test       run every test (unit tests, notebooks, student versions)"
	@echo "make doctor     say whether this machine is ready (Python, torch, device, data)"
	@echo "make notebooks  regenerate notebooks/ (and the README index) from solutions/"
	@echo "make figures    redraw the diagrams in img/"
	@echo "make bench      time every lab against its budget and run the benchmarks"

$(READY): requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed: none found on PATH."; exit 1; }
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $(PYTHON) ..."; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	@touch $(READY)

lab: $(READY)
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)"

test: $(READY)
	$(BIN)/python -m pytest tests $(wildcard solutions/[0-9][0-9]_*.ipynb) --nbval-lax $(PYTEST_ARGS)

doctor: $(READY)
	$(BIN)/python -m labutils doctor

notebooks: $(READY)
	$(BIN)/python -m labutils.authoring $(ARGS)

figures: $(READY)
	$(BIN)/python -m labutils.figures

bench: $(READY)
	$(BIN)/python benchmarks/notebooks.py $(BENCH_ARGS)
	@for script in loader loop lab03_recipe; do \
		[ -f benchmarks/$$script.py ] || continue; \
		{ echo; echo "## benchmarks/$$script.py"; echo; echo '```'; \
		  $(BIN)/python benchmarks/$$script.py 2>&1 | grep -v '^Data: '; echo '```'; } \
		| tee -a benchmarks/RESULTS.md; \
	done

clean-venv:
	rm -rf $(VENV)
