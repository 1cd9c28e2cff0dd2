"""Lab 01 in JupyterLab, driven by a real (headless) Chromium: Run All, no cell fails;
the first screen of ``make lab`` is clean; and an explorer (``labutils.explorers``) redraws
when a slider moves.

What a student does after ``make lab``: open the notebook, Run > Run All Cells. The test
starts JupyterLab on the loopback interface with a token and with the settings ``make lab``
uses (``tools/lab_overrides.json``, ``tools/lab_server_config.py``), opens a copy of the
notebook in a temporary folder (so the checkout is never written), runs every cell from
the menu and then reads the result twice: what the page shows (prompts and error outputs)
and the notebook file that JupyterLab saves. A screenshot lands in ``tests/artifacts/``.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and the ``playwright``
Python package; ``.ci/run`` installs both. Without them the test is skipped, except on CI
(``CI=true``), where it fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "solutions" / "01_convolutions.ipynb"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path(os.environ.get("LABUTILS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]

# What `make lab` gives JupyterLab: settings overrides (no news pop-up, the kernel starts
# without the "Select kernel" dialog) and a server configuration (kernel metadata).
LAB_OVERRIDES = ROOT / "tools" / "lab_overrides.json"
LAB_CONFIG = ROOT / "tools" / "lab_server_config.py"
# ... and its page config: nbgrader's menus and panels are for instructors, not in `make lab`.
LAB_PAGE_CONFIG = ROOT / "tools" / "lab_page_config.json"
# Settings for the test only: no autosave, and every cell kept in the page (by default
# JupyterLab only renders the cells near the visible part of a notebook).
SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}

# Reads the open notebook from the page: the prompts the student sees ("[3]:", "[*]:"; for
# a cell whose input is folded, its execution count),
# the outputs JupyterLab shows as errors, and the kernel's state. ``window.jupyterapp``
# exists because the server runs with --LabApp.expose_app_in_browser=True.
NOTEBOOK_STATE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    if (!panel || !panel.content || !panel.sessionContext) return null;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const code = panel.content.widgets.filter(cell => cell.model.type === 'code');
    const prompts = code.map(cell => {
        const shown = (cell.node.querySelector('.jp-InputPrompt') || {}).textContent || '';
        if (shown.trim()) return shown;
        const count = cell.model.executionCount;  // a folded cell (the set-up) shows none
        return count === null ? '' : `[${count}]:`;
    });
    const errors = [];
    code.forEach((cell, index) => {
        const outputs = cell.model.outputs;
        for (let i = 0; i < outputs.length; i++) {
            const output = outputs.get(i);
            if (output.type !== 'error') continue;
            const shown = cell.node.querySelectorAll('.jp-OutputArea-output')[i];
            errors.push({cell: index, text: shown ? shown.textContent.slice(0, 2000) : ''});
        }
    });
    return {prompts, errors, kernel: kernel ? kernel.status : 'none',
            connected: !!kernel && kernel.connectionStatus === 'connected'};
}"""


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (CI must run the browser test: .ci/run installs it)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class BrowserRun:
    """What the browser saw after Run All."""

    prompts: list[str]
    errors: list[dict] = field(default_factory=list)
    saved: nbformat.NotebookNode | None = None
    seconds: float = 0.0


class JupyterLab:
    """A JupyterLab server for one test, serving ``root``, stopped on exit."""

    def __init__(self, root: Path, home: Path):
        self.root, self.home = root, home
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.log = home / "jupyterlab.log"
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def __enter__(self) -> JupyterLab:
        settings = self.home / "settings"
        for plugin, values in SETTINGS.items():
            target = settings / f"{plugin}.jupyterlab-settings"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        app_settings = self.home / "app-settings"  # where `make lab` puts overrides.json
        app_settings.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(LAB_OVERRIDES, app_settings / "overrides.json")
        labconfig = self.home / "config" / "labconfig"  # the page config `make lab` installs
        labconfig.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(LAB_PAGE_CONFIG, labconfig / "page_config.json")
        env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
        env.update(
            PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            JUPYTER_CONFIG_DIR=str(self.home / "config"),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            IPYTHONDIR=str(self.home / "ipython"),
        )
        mirror = os.environ.get("LABUTILS_DATA_MIRROR")
        if mirror:  # the kernel finds the data where the tests do
            env["LABUTILS_DATA_MIRROR"] = str(Path(mirror).resolve())
        command = [sys.executable, "-m", "jupyterlab", "--no-browser",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
                   "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={self.root}",
                   f"--LabApp.user_settings_dir={settings}",
                   f"--LabApp.app_settings_dir={app_settings}", f"--config={LAB_CONFIG}",
                   f"--LabApp.workspaces_dir={self.home / 'workspaces'}",
                   "--LabApp.expose_app_in_browser=True"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, cwd=self.root)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab stopped at start:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2):
                    return self
            except OSError:
                time.sleep(0.5)
        self.__exit__()
        raise RuntimeError(f"JupyterLab did not answer within 90 s:\n{self.log.read_text()}")

    def __exit__(self, *exc_info) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _serve_copy(notebook: Path, workdir: Path) -> tuple[Path, Path]:
    """A copy of ``notebook`` to serve: ``(served folder, the copy)``. The copy keeps the
    notebook's folder name, so relative paths such as ../data work."""
    served = workdir / "served"
    copy = served / notebook.parent.name / notebook.name
    copy.parent.mkdir(parents=True)
    shutil.copyfile(notebook, copy)
    for folder in ("data",):
        if (ROOT / folder).is_dir():
            (served / folder).symlink_to(ROOT / folder, target_is_directory=True)
    return served, copy


def _launch(playwright, workdir: Path):
    return playwright.chromium.launch_persistent_context(
        str(workdir / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
        args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000})


@contextlib.contextmanager
def _opened_in_lab(notebook: Path, workdir: Path) -> Iterator[tuple[Any, Path]]:
    """Serve a copy of ``notebook`` with JupyterLab and open it in headless Chromium;
    yields ``(page, the copy)`` and closes the browser and the server afterwards."""
    from playwright.sync_api import sync_playwright

    served, copy = _serve_copy(notebook, workdir)
    with JupyterLab(served, workdir) as lab, sync_playwright() as playwright:
        browser = _launch(playwright, workdir)
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.goto(lab.url(f"lab/tree/{copy.relative_to(served).as_posix()}") + "&reset",
                      timeout=120_000)
            yield page, copy
        finally:
            browser.close()


# What a student sees right after the notebook opened: is it marked modified, which
# notifications are up, which dialogs are open, and the metadata JupyterLab holds.
FIRST_SCREEN = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    return {dirty: panel.context.model.dirty,
            title: panel.title.className,
            metadata: panel.context.model.toJSON().metadata,
            notifications: Array.from(document.querySelectorAll(
                '.jp-toastContainer .Toastify__toast, .jp-Notification-Toast'))
                .map(node => node.textContent),
            dialogs: Array.from(document.querySelectorAll('.jp-Dialog'))
                .map(node => node.textContent)};
}"""


def first_screen(notebook: Path, workdir: Path, screenshot: Path) -> dict:
    """Open a copy of ``notebook`` as `make lab` would, wait until its kernel is ready
    and JupyterLab has settled, and report what the student sees."""
    with _opened_in_lab(notebook, workdir) as (page, copy):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # no dialog is accepted on the student's behalf
            state = page.evaluate(NOTEBOOK_STATE)
            if state and state["connected"] and state["kernel"] == "idle":
                break
            time.sleep(0.5)
        time.sleep(5)  # the kernel's metadata and the news question come after it starts
        seen = page.evaluate(FIRST_SCREEN)
        seen["menus"] = page.evaluate(
            "Array.from(document.querySelectorAll('.lm-MenuBar-itemLabel'))"
            ".map(e => e.textContent)")
        seen["nbgrader_panel"] = page.evaluate(
            "document.body.innerText.includes('Create Assignment')")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot))
    seen["file_unchanged"] = copy.read_bytes() == notebook.read_bytes()
    return seen


def run_all_in_browser(notebook: Path, workdir: Path, screenshot: Path,
                       timeout_s: float) -> BrowserRun:
    """Open a copy of ``notebook`` in JupyterLab, Run All Cells, save, and report."""
    start = time.monotonic()
    with _opened_in_lab(notebook, workdir) as (page, copy):
        _wait_for_kernel(page, timeout_s=120)  # JupyterLab is loaded from here on
        page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # more notebook
        state = _run_all_cells(page, timeout_s)

        cells = page.locator(".jp-NotebookPanel .jp-CodeCell")
        if cells.count():
            cells.last.scroll_into_view_if_needed()
        _screenshot_and_save(page, screenshot)
    seconds = time.monotonic() - start
    return BrowserRun(state["prompts"], state["errors"], nbformat.read(copy, as_version=4),
                      seconds)


def _run_all_cells(page, timeout_s: float) -> dict:
    """Choose Run > Run All Cells as a student would, and wait until every cell has run;
    returns the notebook's state."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    return _wait_until_finished(page, timeout_s)


def _screenshot_and_save(page, screenshot: Path) -> None:
    """Keep a picture of the page, then save the notebook and wait until it is saved."""
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot))
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)


def _accept_dialogs(page) -> None:
    """Accept a dialog such as "Select Kernel" (its default is the notebook's kernel)."""
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    if accept.count():
        accept.first.click()


def _wait_for_kernel(page, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _accept_dialogs(page)
        state = page.evaluate(NOTEBOOK_STATE)
        if state and state["connected"] and state["kernel"] == "idle":
            return
        time.sleep(0.5)
    raise TimeoutError(f"the notebook's kernel was not ready within {timeout_s:.0f} s")


def _wait_until_finished(page, timeout_s: float) -> dict:
    """Poll until the kernel is idle with no cell queued; return the notebook's state."""
    deadline = time.monotonic() + timeout_s
    idle_polls = 0
    while time.monotonic() < deadline:
        time.sleep(1)
        _accept_dialogs(page)
        state = page.evaluate(NOTEBOOK_STATE)
        queued = any("*" in prompt for prompt in state["prompts"])
        idle_polls = idle_polls + 1 if state["kernel"] == "idle" and not queued else 0
        if idle_polls and (all(_finished(p) for p in state["prompts"]) or state["errors"]):
            return state
        if idle_polls >= 10:  # stopped without finishing and without an error
            return state
    raise TimeoutError(f"Run All did not finish within {timeout_s:.0f} s: {state['prompts']}")


def _finished(prompt: str) -> bool:
    """True for a prompt such as "[12]:", shown once a cell has run."""
    return prompt.strip().removeprefix("[").removesuffix("]:").isdigit()


def _require_browser() -> None:
    if not CHROMIUM.exists():
        _skip_or_fail(f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium`")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _skip_or_fail("the playwright package is missing: `pip install -r requirements.txt`")


def _saved_problems(nb: nbformat.NotebookNode) -> list[str]:
    problems = []
    code = [cell for cell in nb.cells if cell["cell_type"] == "code"]
    for index, cell in enumerate(code):
        if cell.get("execution_count") is None:
            problems.append(f"code cell {index} did not run")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"code cell {index} failed: {output['ename']}: "
                                f"{output['evalue']}")
    return problems


def test_browser_harness_sees_results_and_errors(tmp_path):
    """The harness itself, on a two-cell notebook whose second cell fails on purpose."""
    _require_browser()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("answer = 6 * 7\nprint('answer', answer)"),
                nbformat.v4.new_code_cell("raise ValueError('on purpose')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    notebook = tmp_path / "solutions" / "00_harness.ipynb"
    notebook.parent.mkdir()
    nbformat.write(nb, notebook)
    run = run_all_in_browser(notebook, tmp_path / "work", tmp_path / "harness.png",
                             timeout_s=120)
    assert run.prompts[0].strip() == "[1]:", run.prompts
    assert len(run.errors) == 1 and run.errors[0]["cell"] == 1, run.errors
    assert "on purpose" in run.errors[0]["text"]
    assert _saved_problems(run.saved) == ["code cell 1 failed: ValueError: on purpose"]
    assert "answer 42" in run.saved.cells[0]["outputs"][0]["text"]


def test_lab01_runs_all_cells_in_jupyterlab(tmp_path):
    if not LAB.exists():
        pytest.skip(f"{LAB.relative_to(ROOT)} does not exist on this branch yet: "
                    "there is no lab 01 to open in the browser.")
    _require_browser()
    budget = nbformat.read(LAB, as_version=4).metadata.get("labutils", {}).get(
        "cpu_budget_s", 60)
    screenshot = ARTIFACTS / f"jupyterlab_{LAB.stem}.png"
    run = run_all_in_browser(LAB, tmp_path, screenshot, timeout_s=max(300, 5 * budget))
    print(f"{LAB.name} in JupyterLab: {run.seconds:.0f} s end to end; screenshot {screenshot}")
    assert run.prompts, "the browser showed no code cell"
    unfinished = [i for i, prompt in enumerate(run.prompts) if not _finished(prompt)]
    assert not unfinished, f"code cells {unfinished} did not finish (prompts {run.prompts})"
    assert not run.errors, f"cells show errors in the browser: {run.errors}"
    assert _saved_problems(run.saved) == []


def test_make_lab_opens_a_student_notebook_on_a_clean_first_screen(tmp_path):
    """No "Jupyter news" question, no "Select kernel" dialog, and a notebook the student has
    not touched is not marked modified (its kernel metadata already matches)."""
    _require_browser()
    notebook = ROOT / "notebooks" / "01_convolutions.ipynb"
    if not notebook.exists():
        pytest.skip("notebooks/01_convolutions.ipynb does not exist on this branch yet")
    seen = first_screen(notebook, tmp_path, ARTIFACTS / "jupyterlab_first_screen.png")
    assert seen["dialogs"] == [], seen["dialogs"]
    assert not any("news" in text.lower() for text in seen["notifications"]), \
        seen["notifications"]
    assert seen["dirty"] is False, (
        "JupyterLab marks the untouched notebook modified; it holds this metadata: "
        f"{json.dumps(seen['metadata'])[:600]}")
    assert "jp-mod-dirty" not in seen["title"]
    assert seen["file_unchanged"], "opening the notebook must not write it"
    assert "File" in seen["menus"] and "Nbgrader" not in seen["menus"], seen["menus"]
    assert seen["nbgrader_panel"] is False, "nbgrader's instructor panel is showing"


def test_the_lab_server_fills_in_python3_kernel_metadata_only():
    """What the browser test above relies on, without a browser."""
    import platform

    from tools import lab_server_config

    python = {"kernelspec": {"name": "python3", "display_name": "Python 3"},
              "language_info": {"name": "python"}}
    lab_server_config.match_kernel(python)
    assert python["language_info"]["version"] == platform.python_version()
    assert python["kernelspec"]["display_name"] == lab_server_config.kernel_metadata()[
        "kernelspec"]["display_name"]
    other = {"kernelspec": {"name": "ir", "display_name": "R"}, "language_info": {"name": "R"}}
    before = json.loads(json.dumps(other))
    lab_server_config.match_kernel(other)
    assert other == before


# What an explorer panel shows: its line of numbers and the source of its picture.
EXPLORER_STATE = """() => {
    const summary = document.querySelector('.labutils-explorer-summary');
    const picture = document.querySelector('.labutils-explorer img');
    return {summary: summary ? summary.textContent : null,
            picture: picture ? picture.getAttribute('src') : null};
}"""


def move_explorer_slider(notebook: Path, workdir: Path, screenshot: Path, slider: str,
                         steps: int) -> dict:
    """Open a copy of ``notebook`` (which shows one labutils explorer), Run All, then press
    the right arrow ``steps`` times on the slider described ``slider``. Returns what the
    panel showed before and after, and the notebook JupyterLab saved."""
    with _opened_in_lab(notebook, workdir) as (page, copy):
        _wait_for_kernel(page, timeout_s=120)
        finished = _run_all_cells(page, timeout_s=180)
        if finished["errors"]:
            return {"errors": finished["errors"]}
        page.wait_for_selector(".labutils-explorer-summary", timeout=60_000)
        before = page.evaluate(EXPLORER_STATE)
        handle = page.locator(".widget-slider", has_text=slider).locator(".noUi-handle")
        handle.first.focus()
        for _ in range(steps):
            handle.first.press("ArrowRight")
        page.wait_for_function(
            "(old) => { const s = document.querySelector('.labutils-explorer-summary');"
            " return s && s.textContent !== old; }", arg=before["summary"], timeout=60_000)
        page.wait_for_function(  # the kernel has drawn the new picture too
            "(old) => { const img = document.querySelector('.labutils-explorer img');"
            " return img && img.getAttribute('src') !== old; }", arg=before["picture"],
            timeout=60_000)
        after = page.evaluate(EXPLORER_STATE)
        _screenshot_and_save(page, screenshot)
    return {"errors": finished["errors"], "before": before, "after": after,
            "saved": nbformat.read(copy, as_version=4)}


def test_an_explorer_follows_its_slider_in_jupyterlab(tmp_path):
    """The convolution explorer of lab 01 in the browser: moving the stride slider from 1 to
    2 redraws the panel with the smaller output; the saved output also holds a picture,
    which is what a notebook run without a browser shows."""
    _require_browser()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import labutils\n\n"
                                          "labutils.conv_explorer(n=7, k=3, p=0, s=1, d=1)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    notebook = tmp_path / "solutions" / "00_explorer.ipynb"
    notebook.parent.mkdir()
    nbformat.write(nb, notebook)
    seen = move_explorer_slider(notebook, tmp_path / "work",
                                ARTIFACTS / "jupyterlab_explorer.png", "stride s", steps=1)
    assert seen["errors"] == [], seen["errors"]
    assert seen["before"]["summary"].startswith("Output 5×5"), seen["before"]
    assert seen["after"]["summary"].startswith("Output 3×3"), seen["after"]
    assert seen["after"]["picture"] != seen["before"]["picture"]
    outputs = seen["saved"].cells[0]["outputs"]
    assert any("image/png" in output.get("data", {}) for output in outputs), outputs
