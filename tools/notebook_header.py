"""The two cells the generator puts on top of every notebook, made from
``[tool.labutils]`` in pyproject.toml: an "Open in Colab" badge, and a set-up cell.

The set-up cell is the first code cell. On Colab it installs ``labutils`` at the pinned
release; anywhere else it only checks that ``labutils`` is there and, if not, says what to
do. JupyterLab and Colab show it folded (its first line is a title).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import nbformat

BADGE_ID = "colab-badge"
SETUP_ID = "colab-setup"
INSTALL_VARIABLE = "LABUTILS_INSTALL_SOURCE"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
# Folded in JupyterLab (the input is hidden, its first line shows) and a form in Colab.
SETUP_METADATA = {"cellView": "form", "jupyter": {"source_hidden": True}}
# The notebook-level metadata every generated notebook carries (plus its "labutils" entry).
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


@dataclass(frozen=True)
class Config:
    """Where the workbook lives online; read from ``[tool.labutils]`` in pyproject.toml."""

    repository: str  # e.g. https://github.com/owner/name
    branch: str  # what the Colab and Binder badges open
    install_ref: str  # the tag or commit the set-up cell installs labutils from

    @property
    def github_path(self) -> str:
        return self.repository.removeprefix("https://github.com/").rstrip("/")

    def colab_url(self, notebook: str) -> str:
        return (f"https://colab.research.google.com/github/{self.github_path}/blob/"
                f"{self.branch}/{notebook}")

    @property
    def install_source(self) -> str:
        """What pip installs on Colab: labutils, and the answers that the way forward hands
        out (a distribution of its own, under answers/, which a graded class leaves out)."""
        return (f"git+{self.repository}@{self.install_ref} "
                f"labutils-answers@git+{self.repository}@{self.install_ref}"
                "#subdirectory=answers")

    @property
    def binder_url(self) -> str:
        """Binder opens JupyterLab in the student notebooks' folder."""
        return (f"https://mybinder.org/v2/gh/{self.github_path}/{self.branch}"
                "?urlpath=lab/tree/notebooks")


class ConfigError(ValueError):
    """``[tool.labutils]`` in pyproject.toml is missing or incomplete."""


def read_config(root: Path) -> Config:
    """``[tool.labutils]`` of ``root/pyproject.toml``. The set-up cell installs the release
    of the package's version (the tag ``v`` + ``[project] version``) unless ``install_ref``
    names another tag or a commit."""
    path = root / "pyproject.toml"
    try:
        with open(path, "rb") as stream:
            document = tomllib.load(stream)
    except FileNotFoundError:
        raise ConfigError(f"there is no pyproject.toml in {root}: run the generator from the "
                          "workbook's folder (`make notebooks`), or pass --root.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML ({error}): undo the last edit "
                          "(`git diff pyproject.toml`).") from None
    settings = document.get("tool", {}).get("labutils", {})
    version = document.get("project", {}).get("version")
    install_ref = settings.get("install_ref") or (f"v{version}" if version else "")
    missing = [key for key, value in (("repository", settings.get("repository")),
                                      ("install_ref", install_ref)) if not value]
    if missing:
        raise ConfigError(f"{path}: [tool.labutils] needs {' and '.join(missing)} (the "
                          "repository's URL, and the tag or commit that the set-up cell "
                          "installs labutils from, e.g. install_ref = \"v0.1.0\").")
    branch = settings.get("branch", "main")
    if install_ref == branch:
        raise ConfigError(f"{path}: install_ref = {install_ref!r} is the branch "
                          "the badges open, which moves with every commit. Pin a tag or a "
                          "commit, e.g. install_ref = \"v0.1.0\".")
    return Config(settings["repository"], branch, install_ref)


def colab_badge(config: Config, notebook: str) -> str:
    """Markdown for an "Open in Colab" badge linking to ``notebook`` (a path in the repository)."""
    return f"[![Open In Colab]({COLAB_BADGE})]({config.colab_url(notebook)})"


STUCK_NOTE = (
    "*Stuck on an exercise?* Its cell ends with two ways on: `hint(\"name\")` shows a hint "
    "(run it again for the next), and one line to uncomment goes on with the workbook's "
    "version, so the rest of the lab still runs. The last cell shows your scorecard.")


def badge_cell(config: Config, notebook: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(colab_badge(config, notebook) + "\n\n" + STUCK_NOTE)
    cell["id"] = BADGE_ID
    return cell


SETUP_TEMPLATE = '''\
# @title Set-up: run this cell first. On Colab it installs labutils, the workbook's helpers.
# Anywhere else it only checks that labutils is there (`make lab` puts it in .venv).
# The code below is folded: click the "..." (JupyterLab) or "Show code" (Colab) to read it.


def _set_up() -> None:
    import importlib.util
    import os
    import subprocess
    import sys

    class SetupProblem(Exception):
        def _render_traceback_(self):  # IPython shows the message alone, no traceback
            return [f"Set-up: {{self}}"]

    if importlib.util.find_spec("labutils") is not None:
        return
    on_colab = (importlib.util.find_spec("google") is not None
                and importlib.util.find_spec("google.colab") is not None)
    if not on_colab:
        raise SetupProblem(
            f"labutils is not installed for this kernel's Python ({{sys.executable}}), and "
            "this is not Colab, so nothing was installed.\\nWhat to do: open the workbook "
            "with `make lab` in the repository folder, or choose the kernel of the Python "
            "that has labutils (Kernel > Change Kernel).")
    source = os.environ.get("{variable}", "{source}")
    print(f"Installing labutils from {{source}} ...")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *source.split()],
                         capture_output=True, text=True)
    if pip.returncode != 0:
        said = [line.strip() for line in pip.stderr.splitlines() if line.strip()]
        reason = next((line for line in said if line.startswith(("ERROR", "fatal"))),
                      said[-1] if said else "no message")
        raise SetupProblem(
            f"pip could not install labutils from {{source}}: {{reason}}\\nWhat to do: "
            "check that this session is online (Colab: Runtime > Disconnect and delete "
            "runtime, then connect again), then run this cell again.")
    importlib.invalidate_caches()
    if importlib.util.find_spec("labutils") is None:
        raise SetupProblem("labutils was installed but Python does not see it yet. What to "
                           "do: Runtime > Restart session, then run the notebook again.")


_set_up()'''


def setup_source(config: Config) -> str:
    """The set-up cell's code, installing from ``config.install_source`` on Colab."""
    return SETUP_TEMPLATE.format(variable=INSTALL_VARIABLE, source=config.install_source)


def setup_cell(config: Config) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(setup_source(config))
    cell["id"] = SETUP_ID
    cell["metadata"] = {key: dict(value) if isinstance(value, dict) else value
                        for key, value in SETUP_METADATA.items()}
    return cell


def with_header(nb: nbformat.NotebookNode, config: Config, notebook: str) -> nbformat.NotebookNode:
    """``nb`` with the badge as its first cell and the set-up cell as its first code cell
    (any earlier copies of the two are replaced)."""
    cells = [c for c in nb.cells if c.get("id") not in (BADGE_ID, SETUP_ID)]
    first_code = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
    cells.insert(first_code, setup_cell(config))
    nb.cells = [badge_cell(config, notebook), *cells]
    return nb
