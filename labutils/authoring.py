"""Make the student notebooks from the solution notebooks (``make notebooks``).

Instructors edit only ``solutions/NN_name.ipynb``. Inside a code cell, the lines
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` are the answer; the student
version replaces them with::

    # YOUR CODE HERE
    raise NotImplementedError()

at the same indentation. Markdown cells tagged ``instructor``, and text between
``<!-- BEGIN INSTRUCTOR NOTE -->`` and ``<!-- END INSTRUCTOR NOTE -->``, are dropped.
Outputs and execution counts are cleared. The same input always gives the same bytes.

Every notebook (solution and student) also gets two generated cells, made from
``[tool.labutils]`` in ``pyproject.toml``: an "Open in Colab" badge on top, and a
first code cell that installs labutils when it is missing (Colab). The solution
notebooks are rewritten in place with those cells, and without outputs.

README.md gets two generated sections, each between a pair of marker comments such as
``<!-- BEGIN GENERATED: course-index -->`` and ``<!-- END GENERATED: course-index -->``:
the launch badge (Binder) and the course index, a table made from each solution
notebook's ``metadata.labutils``. Text outside the markers is never touched.

A student notebook that was changed after it was generated (edited or run) is never
overwritten unless you pass ``--force``.

Run ``python -m labutils.authoring --help`` for the options.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import nbformat

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
INSTRUCTOR_TAG = "instructor"
NOTE_PATTERN = re.compile(
    r"\n?<!-- BEGIN INSTRUCTOR NOTE -->.*?<!-- END INSTRUCTOR NOTE -->\n?", re.DOTALL)
BADGE_ID = "colab-badge"
SETUP_ID = "colab-setup"
INSTALL_VARIABLE = "LABUTILS_INSTALL_SOURCE"
REQUIRED_METADATA = ("lab", "title", "topics", "minutes", "cpu_budget_s")

ROOT = Path(__file__).resolve().parent.parent


class AuthoringError(ValueError):
    """A solution notebook breaks the authoring rules (e.g. an unclosed solution region)."""


class StudentWorkError(RuntimeError):
    """A student notebook was changed after it was generated; it is left alone."""


# --------------------------------------------------------------------------- regions


def _regions(source: str, where: str = "") -> list[tuple[int, int, str]]:
    """``(begin line, end line, indentation)`` of each solution region in ``source``."""
    regions, begin = [], None
    for number, line in enumerate(source.split("\n")):
        stripped = line.strip()
        if stripped == BEGIN:
            if begin is not None:
                raise AuthoringError(f"{where}: line {number + 1} opens a solution region "
                                     f"inside another one (line {begin[0] + 1}).")
            begin = (number, line[: len(line) - len(line.lstrip())])
        elif stripped == END:
            if begin is None:
                raise AuthoringError(f"{where}: line {number + 1} closes a solution region "
                                     "that was never opened.")
            regions.append((begin[0], number, begin[1]))
            begin = None
    if begin is not None:
        raise AuthoringError(f"{where}: the solution region opened on line {begin[0] + 1} "
                             f"is never closed with '{END}'.")
    return regions


def solution_regions(source: str, where: str = "") -> list[str]:
    """The code inside each solution region of a cell, markers excluded."""
    lines = source.split("\n")
    return ["\n".join(lines[b + 1:e]) for b, e, _ in _regions(source, where)]


def strip_solutions(source: str, where: str = "") -> str:
    """Replace every solution region (markers included) by the stub, at the same indent."""
    lines = source.split("\n")
    for begin, end, indent in reversed(_regions(source, where)):
        lines[begin:end + 1] = [indent + line for line in STUB]
    return "\n".join(lines)


def fill_stubs(source: str, regions: list[str]) -> str:
    """Put solution regions back in place of the stubs, in order (the inverse of
    :func:`strip_solutions`). Returns the cell as the solution notebook has it."""
    lines = source.split("\n")
    result, filled, i = [], 0, 0
    while i < len(lines):
        is_stub = (i + 1 < len(lines) and lines[i].strip() == STUB[0]
                   and lines[i + 1].strip() == STUB[1])
        if is_stub and filled < len(regions):
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            result += [indent + BEGIN, *regions[filled].split("\n"), indent + END]
            filled += 1
            i += 2
        else:
            result.append(lines[i])
            i += 1
    if filled != len(regions):
        raise AuthoringError(f"found {filled} stubs for {len(regions)} solution regions.")
    return "\n".join(result)


def has_solution(cell: dict) -> bool:
    return cell["cell_type"] == "code" and any(
        line.strip() == BEGIN for line in cell["source"].split("\n"))


# --------------------------------------------------------------------------- header cells


@dataclass(frozen=True)
class Config:
    """Where the workbook lives online; read from ``[tool.labutils]`` in pyproject.toml."""

    repository: str  # e.g. https://github.com/owner/name
    branch: str

    @property
    def github_path(self) -> str:
        return self.repository.removeprefix("https://github.com/").rstrip("/")

    def colab_url(self, notebook: str) -> str:
        return (f"https://colab.research.google.com/github/{self.github_path}/blob/"
                f"{self.branch}/{notebook}")

    @property
    def install_source(self) -> str:
        return f"git+{self.repository}@{self.branch}"

    @property
    def binder_url(self) -> str:
        """Binder opens JupyterLab in the student notebooks' folder."""
        return (f"https://mybinder.org/v2/gh/{self.github_path}/{self.branch}"
                "?urlpath=lab/tree/notebooks")


def read_config(root: Path = ROOT) -> Config:
    with open(root / "pyproject.toml", "rb") as stream:
        settings = tomllib.load(stream)["tool"]["labutils"]
    return Config(settings["repository"], settings.get("branch", "main"))


COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


def colab_badge(config: Config, notebook: str) -> str:
    """Markdown for an "Open in Colab" badge linking to ``notebook`` (a path in the repository)."""
    return f"[![Open In Colab]({COLAB_BADGE})]({config.colab_url(notebook)})"


def badge_cell(config: Config, notebook: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(colab_badge(config, notebook))
    cell["id"] = BADGE_ID
    return cell


def setup_cell(config: Config) -> nbformat.NotebookNode:
    source = "\n".join([
        "# Set-up: on Colab (or anywhere labutils is missing) this installs the workbook's",
        "# helper package first. In JupyterLab with `make lab` it does nothing.",
        "import importlib.util",
        "import os",
        "import subprocess",
        "import sys",
        "",
        'if importlib.util.find_spec("labutils") is None:',
        f'    source = os.environ.get("{INSTALL_VARIABLE}", "{config.install_source}")',
        '    print(f"Installing labutils from {source} ...")',
        '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source],',
        "                   check=True)",
        "    importlib.invalidate_caches()",
        '    if importlib.util.find_spec("labutils") is None:',
        '        raise RuntimeError("labutils was installed but Python does not see it yet: "',
        '                           "restart the kernel (Colab: Runtime > Restart session), "',
        '                           "then run the notebook again.")',
    ])
    cell = nbformat.v4.new_code_cell(source)
    cell["id"] = SETUP_ID
    return cell


def with_header(nb: nbformat.NotebookNode, config: Config, notebook: str) -> nbformat.NotebookNode:
    """``nb`` with the badge as its first cell and the set-up cell as its first code cell."""
    nb = copy.deepcopy(nb)
    cells = [c for c in nb.cells if c.get("id") not in (BADGE_ID, SETUP_ID)]
    first_code = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
    cells.insert(first_code, setup_cell(config))
    nb.cells = [badge_cell(config, notebook), *cells]
    return nb


# --------------------------------------------------------------------------- notebooks


def _clean_cell(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cell = copy.deepcopy(cell)
    tags = cell.get("metadata", {}).get("tags", [])
    cell["metadata"] = {"tags": tags} if tags else {}
    if cell["cell_type"] == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    if "attachments" in cell and not cell["attachments"]:
        del cell["attachments"]
    return cell


def _clean_metadata(nb: nbformat.NotebookNode) -> dict:
    return {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "labutils": nb.metadata.get("labutils", {}),
    }


def cells_digest(nb: nbformat.NotebookNode) -> str:
    """A fingerprint of the cells' types, sources and outputs (metadata ignored)."""
    summary = [[c["cell_type"], c["source"], c.get("outputs", [])] for c in nb.cells]
    return hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest()


def check_metadata(nb: nbformat.NotebookNode, where: str) -> None:
    meta = nb.metadata.get("labutils")
    if not isinstance(meta, dict) or any(key not in meta for key in REQUIRED_METADATA):
        raise AuthoringError(
            f"{where}: the notebook metadata needs a 'labutils' entry with {REQUIRED_METADATA} "
            "(lab number, title, list of topics, estimated minutes, CPU budget in seconds).")


def canonical_solution(nb: nbformat.NotebookNode, config: Config,
                       name: str) -> nbformat.NotebookNode:
    """The solution notebook as it is committed: header cells, no outputs, clean metadata."""
    check_metadata(nb, f"solutions/{name}")
    nb = with_header(nb, config, f"solutions/{name}")
    nb.cells = [_clean_cell(c) for c in nb.cells]
    nb.metadata = _clean_metadata(nb)
    return nb


def student_notebook(solution: nbformat.NotebookNode, config: Config,
                     name: str) -> nbformat.NotebookNode:
    """The student version of a solution notebook."""
    nb = with_header(solution, config, f"notebooks/{name}")
    cells = []
    for index, cell in enumerate(nb.cells):
        cell = _clean_cell(cell)
        where = f"solutions/{name}, cell {index} (id {cell.get('id')})"
        if cell["cell_type"] == "markdown":
            if INSTRUCTOR_TAG in cell["metadata"].get("tags", []):
                continue
            cell["source"] = NOTE_PATTERN.sub("\n", cell["source"]).strip("\n")
            if not cell["source"].strip():
                continue
        elif cell["cell_type"] == "code":
            cell["source"] = strip_solutions(cell["source"], where)
        cells.append(cell)
    nb.cells = cells
    nb.metadata = _clean_metadata(solution)
    nb.metadata["labutils"] = {**nb.metadata["labutils"], "cells_sha256": cells_digest(nb)}
    return nb


def to_text(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=4) + "\n"


# --------------------------------------------------------------------------- README


def section_markers(section: str) -> tuple[str, str]:
    return f"<!-- BEGIN GENERATED: {section} -->", f"<!-- END GENERATED: {section} -->"


def _cell_text(value) -> str:
    """A value as text that is safe inside a markdown table cell."""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(item) for item in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def badges_section(config: Config) -> str:
    """The launch badges at the top of the README."""
    return f"[![Launch on Binder]({BINDER_BADGE})]({config.binder_url})"


def course_index(config: Config, labs: list[tuple[str, dict]]) -> str:
    """The README's table of labs from ``(notebook name, metadata.labutils)`` pairs."""
    if not labs:
        return "No lab has been written yet: `solutions/` holds no notebook."
    rows = ["| Lab | Title | Topics | Time | Colab |", "| ---: | --- | --- | ---: | --- |"]
    for name, meta in sorted(labs, key=lambda entry: (entry[1]["lab"], entry[0])):
        rows.append(f"| {int(meta['lab']):02d} | [{_cell_text(meta['title'])}](notebooks/{name}) "
                    f"| {_cell_text(meta['topics'])} | {_cell_text(meta['minutes'])} min "
                    f"| {colab_badge(config, f'notebooks/{name}')} |")
    return "\n".join(rows)


def replace_section(text: str, section: str, content: str) -> str:
    """``text`` with what lies between the markers of ``section`` replaced by ``content``.

    Text without the markers comes back unchanged.
    """
    begin, end = section_markers(section)
    if begin not in text and end not in text:
        return text
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start or text.count(begin) > 1 or text.count(end) > 1:
        raise AuthoringError(f"README.md: the markers '{begin}' and '{end}' must each appear "
                             "once, in that order.")
    return text[:start + len(begin)] + "\n\n" + content + "\n\n" + text[stop:]


def readme_text(text: str, config: Config, labs: list[tuple[str, dict]]) -> str:
    """The README with its generated sections (Binder badge, course index) brought up to date."""
    text = replace_section(text, "badges", badges_section(config))
    return replace_section(text, "course-index", course_index(config, labs))


# --------------------------------------------------------------------------- writing


def _edited_by_student(path: Path) -> bool:
    """True when the notebook at ``path`` is no longer what the generator wrote."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return True
    recorded = nb.metadata.get("labutils", {}).get("cells_sha256")
    return recorded != cells_digest(nb)


def generate(root: Path = ROOT, force: bool = False, check: bool = False,
             quiet: bool = False) -> list[str]:
    """Write every student notebook (and the canonical solutions) and the README's
    generated sections; return what changed.

    With ``check=True`` nothing is written: the names of the notebooks that are out of
    date are returned instead.
    """
    config = read_config(root)
    changed, labs = [], []
    for source in sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb")):
        name = source.name
        solution = nbformat.read(source, as_version=4)
        outputs = {  # canonical_solution checks the metadata first
            source: to_text(canonical_solution(solution, config, name)),
            root / "notebooks" / name: to_text(student_notebook(solution, config, name)),
        }
        labs.append((name, dict(solution.metadata["labutils"])))
        for path, text in outputs.items():
            current = path.read_text() if path.exists() else None
            if current == text:
                continue
            label = path.relative_to(root).as_posix()
            changed.append(label)
            if check:
                continue
            if path.parent.name == "notebooks" and current is not None and not force \
                    and _edited_by_student(path):
                raise StudentWorkError(
                    f"{label} was changed after it was generated (edited or run), so it was "
                    "left alone to keep your work.\nSave your copy under another name, or "
                    "overwrite it with `make notebooks ARGS=--force`.")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            if not quiet:
                print(f"wrote {label}")
    readme = root / "README.md"
    if readme.exists():
        current = readme.read_text()
        text = readme_text(current, config, labs)
        if text != current:
            changed.append("README.md")
            if not check:
                readme.write_text(text)
                if not quiet:
                    print("wrote README.md (launch badges and course index)")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the student notebooks from "
                                     "solutions/ (and tidy the solutions).")
    parser.add_argument("--force", action="store_true",
                        help="overwrite student notebooks even if they were changed")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; fail if any notebook is out of date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the workbook's folder")
    args = parser.parse_args(argv)
    try:
        changed = generate(args.root, force=args.force, check=args.check)
    except (AuthoringError, StudentWorkError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.check and changed:
        print("Out of date (run `make notebooks`): " + ", ".join(changed), file=sys.stderr)
        return 1
    if not changed:
        print("All notebooks are up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
