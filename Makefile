# The CNN workbook. `make lab` opens it, `make test` runs every test.
# Both create the virtual environment .venv first when it is missing (or broken).

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
# JupyterLab's settings for `make lab`: no "Jupyter news" pop-up, the kernel starts by itself,
# and nbgrader's instructor menus and panels stay hidden (tools/lab_page_config.json).
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
# What a working .venv can do: run its Python, and find the packages the workbook needs.
VENV_WORKS := $(BIN)/python -c 'import importlib.util as u, sys; \
	sys.exit(any(u.find_spec(m) is None for m in ("labutils", "labutils_answers", "torch", "jupyterlab", "pytest", "nbgrader")))'

# A .venv that says it is ready but no longer works (its Python was removed or moved, or
# a package is missing) is repaired: forget that it was ready, so the recipe below runs.
ifneq ($(wildcard $(READY)),)
ifneq ($(shell $(VENV_WORKS) >/dev/null 2>&1 && echo ok),ok)
$(info $(VENV) does not work any more (its Python does not run, or a package is missing): repairing it.)
$(shell rm -f $(READY))
endif
endif

.PHONY: help lab test fuzz doctor notebooks figures bench sizes clean-venv class-init \
	class-release class-release-answers class-grade class-compare
# A class on nbgrader (tools/course.py): the course folder, the lab, the student to compare.
COURSE ?= $(HOME)/cnn-course
LAB ?= 01

help:
	@echo "make lab        open the workbook in JupyterLab"
	@echo "make test       run every test (unit tests, notebooks, student versions)"
	@echo "make fuzz       fuzz labutils' public functions long (tests/test_fuzz.py, minutes)"
	@echo "make doctor     say whether this machine is ready (Python, torch, device, data)"
	@echo "make notebooks  regenerate notebooks/ (and the README index) from solutions/;"
	@echo "                ARGS=--force also replaces edited ones (backups in notebooks/.backup/)"
	@echo "make figures    redraw the diagrams in img/ (then make notebooks attaches them)"
	@echo "make bench      time every lab against its budget and run the benchmarks"
	@echo "make sizes      lines per room and the longest functions, against the budget"
	@echo "                for growth (CONTRIBUTING.md); fails when over it"
	@echo "make clean-venv delete .venv; the next make command builds it again from scratch"
	@echo "make class-init | class-release | class-release-answers | class-grade | class-compare"
	@echo "                run a class on nbgrader (COURSE=folder LAB=01 STUDENT=id; see"
	@echo "                README, Teaching a class)"

$(READY): requirements.txt pyproject.toml answers/pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed: none found on PATH."; exit 1; }
	@if [ -e $(VENV) ] && ! $(BIN)/python -c '' >/dev/null 2>&1; then \
		echo "$(VENV) is broken (its Python does not run): building it again ..."; \
		rm -rf $(VENV); fi
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $(PYTHON) ..."; $(PYTHON) -m venv $(VENV); }
	@$(BIN)/python -m pip install --quiet --upgrade pip && \
	$(BIN)/python -m pip install --quiet -r requirements.txt -e ".[instructor]" -e ./answers || { \
		echo; echo "Installing the packages into $(VENV) failed (pip's message is above)."; \
		echo "Fix the cause (network, disk space), then run: make clean-venv && make lab"; \
		exit 1; }
	@touch $(READY)

$(LAB_SETTINGS): tools/lab_overrides.json tools/lab_page_config.json $(READY)
	@mkdir -p $(dir $@) $(VENV)/etc/jupyter/labconfig
	cp tools/lab_overrides.json $@
	cp tools/lab_page_config.json $(VENV)/etc/jupyter/labconfig/page_config.json

lab: $(READY) $(LAB_SETTINGS)
	$(BIN)/jupyter lab $(ROOT_FLAG) --config=tools/lab_server_config.py --ServerApp.root_dir="$(CURDIR)"

test: $(READY)
	$(BIN)/python -m pytest tests $(wildcard solutions/[0-9][0-9]_*.ipynb) --nbval-lax --durations=25 $(PYTEST_ARGS)

# The fuzz test with many more examples than `make test` gives it (profiles in tests/conftest.py).
fuzz: $(READY)
	$(BIN)/python -m pytest tests/test_fuzz.py --hypothesis-profile=long $(PYTEST_ARGS)

doctor: $(READY)
	$(BIN)/python -m labutils doctor

notebooks: $(READY)
	$(BIN)/python -m tools.generate_notebooks $(ARGS)

figures: $(READY)
	$(BIN)/python -m tools.draw_figures

bench: $(READY)
	$(BIN)/python benchmarks/notebooks.py $(BENCH_ARGS)
	@for script in loader loop lab03_recipe precision grade_class; do \
		[ -f benchmarks/$$script.py ] || continue; \
		{ echo; echo "## benchmarks/$$script.py"; echo; echo '```'; \
		  $(BIN)/python benchmarks/$$script.py 2>&1; echo '```'; } \
		| tee -a benchmarks/RESULTS.md; \
	done

sizes: $(READY)
	$(BIN)/python -m tools.sizes $(ARGS)

clean-venv:
	rm -rf $(VENV)

class-init: $(READY)
	$(BIN)/python -m tools.course init "$(COURSE)"

class-release: $(READY)
	$(BIN)/python -m tools.course release "$(COURSE)" $(LAB)

class-release-answers: $(READY)
	$(BIN)/python -m tools.course release-answers "$(COURSE)" $(LAB)

class-grade: $(READY)
	$(BIN)/python -m tools.course grade "$(COURSE)" $(LAB)

class-compare: $(READY)
	$(BIN)/python -m tools.course compare "$(COURSE)" $(LAB) $(STUDENT) --html "$(COURSE)/grades/lab$(LAB)_$(STUDENT).html"
