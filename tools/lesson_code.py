"""The lesson code the library holds, written from the solution notebooks.

``make notebooks`` writes, from the solution notebooks:

- ``answers/labutils_answers/labNN.py``, what ``use_reference`` hands out: the code of
  lab NN's exercise cells (the cells with a solution region), markers left out, and of
  the given cells tagged ``answers`` that this code needs (lab 05's ``conv_block``);
- the region of ``labutils/models.py`` between its ``GENERATED`` markers: the code of the
  cells tagged ``models`` (lab 04's ResNet), which later labs import. The answers module
  imports these names from ``labutils.models``: one copy of the code, not two.

A cell gives its top-level ``def``s, ``class``es and assignments (not its calls, nor the
way-forward lines), each under a comment that says where it was taught, as *Dive into
Deep Learning*'s library does. A module's imports are the notebook's imports that its
code uses. The two tags are for instructors: the student notebook and nbgrader's source
leave them out (:func:`tools.solution_markers.drop_lesson_tags`).
"""

from __future__ import annotations

import ast
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from labutils.checks.reference import WORKBOOK_PACKAGES
from tools.readme_sections import replace_section, section_markers
from tools.solution_markers import (
    ANSWERS_TAG,
    MODELS_TAG,
    AuthoringError,
    cell_label,
    has_solution,
    without_markers,
)

ANSWERS_FOLDER = Path("answers/labutils_answers")
MODELS_FILE = Path("labutils/models.py")
MODELS_MODULE = "labutils.models"
MODELS_SECTION = "lesson code"
PYTHON_COMMENT = "# {}"


class Import(NamedTuple):
    """``import module as alias`` (``name`` None) or ``from module import name as alias``."""

    module: str
    name: str | None
    alias: str | None

    def binds(self) -> str:
        """The name the import statement binds."""
        return self.alias or self.name or self.module.split(".")[0]


@dataclass(frozen=True)
class Definition:
    """A top-level ``def``, ``class`` or assignment of a cell, and where it was taught."""

    names: tuple[str, ...]
    code: str
    where: str
    destination: str  # ANSWERS_TAG or MODELS_TAG

    def text(self) -> str:
        return f"# Defined in {self.where}.\n{self.code}"


def destination(cell: dict) -> str | None:
    """Where a cell's code goes: ``"models"`` for a cell tagged so, ``"answers"`` for an
    exercise cell or a cell tagged ``answers``, None for every other cell."""
    tags = cell.get("metadata", {}).get("tags", [])
    if MODELS_TAG in tags:
        return MODELS_TAG
    if has_solution(cell) or ANSWERS_TAG in tags:
        return ANSWERS_TAG
    return None


def _parse(source: str, where: str) -> ast.Module:
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError as error:
        raise AuthoringError(f"{where}: line {error.lineno} is not valid Python, so its code "
                             "cannot go into the library.") from None


def definitions(cell: dict, where: str) -> list[Definition]:
    """The top-level definitions of a cell whose code goes into the library (markers left
    out), in the cell's order; an empty list for every other cell."""
    goes_to = destination(cell)
    if goes_to is None:
        return []
    source = without_markers(cell["source"])
    lines = source.split("\n")
    found = []
    for node in _parse(source, where).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = (node.name,)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = tuple(target.id for target in targets if isinstance(target, ast.Name))
        else:
            continue  # a call, or the imports, which the module gathers itself
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        code = "\n".join(lines[first - 1:node.end_lineno])
        found.append(Definition(names, code, where, goes_to))
    return found


def notebook_imports(nb: nbformat.NotebookNode, label: str) -> dict[str, Import]:
    """The notebook's top-level imports, by the name each binds (the first one wins)."""
    found: dict[str, Import] = {}
    for number, cell in enumerate(nb.cells, start=1):
        if cell["cell_type"] != "code":
            continue
        for node in _parse(cell["source"], cell_label(label, number, cell)).body:
            if isinstance(node, ast.Import):
                imports = [Import(alias.name, None, alias.asname) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imports = [Import(node.module, alias.name, alias.asname) for alias in node.names]
            else:
                continue
            for item in imports:
                found.setdefault(item.binds(), item)
    return found


def _used_names(code: str) -> set[str]:
    return {node.id for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Name)}


def _section(module: str) -> int:
    """isort's sections: 0 the standard library, 1 other packages, 2 the workbook's."""
    top = module.split(".")[0]
    if top in WORKBOOK_PACKAGES:
        return 2
    return 0 if top in sys.stdlib_module_names else 1


def _member_key(name: str) -> tuple[int, str]:
    """isort's order of imported names: CONSTANTS, Classes, then the others."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name


def import_block(imports: set[Import]) -> str:
    """Import statements as ruff's isort rules order them: a section each for the standard
    library, other packages and the workbook; ``import x`` before ``from x import y``."""
    blocks = []
    for section in range(3):
        mine = [item for item in imports if _section(item.module) == section]
        plain = sorted((item for item in mine if item.name is None),
                       key=lambda item: (item.module.lower(), item.alias or ""))
        lines = [f"import {item.module}" + (f" as {item.alias}" if item.alias else "")
                 for item in plain]
        for module in sorted({item.module for item in mine if item.name}, key=str.lower):
            members = sorted((item for item in mine if item.module == module and item.name),
                             key=lambda item: _member_key(item.name))
            names = [item.name + (f" as {item.alias}" if item.alias else "")
                     for item in members]
            lines.append(f"from {module} import {', '.join(names)}")
        if lines:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _names_list(names: list[str]) -> str:
    quoted = ", ".join(f'"{name}"' for name in names)
    return textwrap.fill(quoted, width=99, initial_indent="__all__ = [",
                         subsequent_indent=" " * 11, break_on_hyphens=False) + "]"


def answers_module(name: str, lab: int, found: list[Definition],
                   imports: dict[str, Import]) -> str:
    """The text of ``answers/labutils_answers/labNN.py`` from a notebook's definitions."""
    own = [item for item in found if item.destination == ANSWERS_TAG]
    from_models = [n for item in found if item.destination == MODELS_TAG for n in item.names]
    defined = {n for item in found for n in item.names}
    used = set().union(*(_used_names(item.code) for item in own)) - defined
    needed = {imports[n] for n in used if n in imports}
    needed |= {Import(MODELS_MODULE, n, None) for n in from_models}
    docstring = (f'"""The workbook\'s answers to lab {lab:02d}\'s exercises: the code of the '
                 f"exercise cells\nof solutions/{name}, without the solution markers.\n\n"
                 "Written by `make notebooks` (tools/lesson_code.py): edit the notebook, never "
                 'this file.\n"""')
    parts = [docstring, import_block(needed), _names_list([n for i in found for n in i.names])]
    text = "\n\n".join(part for part in parts if part)
    return text + "".join(f"\n\n\n{item.text()}" for item in own) + "\n"


def lesson_files(root: Path, notebooks: list[tuple[str, nbformat.NotebookNode]]
                 ) -> dict[Path, str]:
    """Every answers module and ``labutils/models.py``, with their new text, for the
    committed solution notebooks ``(name, notebook)``; only files whose folder (or, for
    models.py, the file) the workbook has."""
    outputs, for_models = {}, []
    for name, nb in notebooks:
        label = f"solutions/{name}"
        found = [item for number, cell in enumerate(nb.cells, start=1)
                 for item in definitions(cell, cell_label(label, number, cell))]
        for_models += [item for item in found if item.destination == MODELS_TAG]
        if (root / ANSWERS_FOLDER).is_dir():
            lab = int(nb.metadata["labutils"]["lab"])
            outputs[root / ANSWERS_FOLDER / f"lab{lab:02d}.py"] = answers_module(
                name, lab, found, notebook_imports(nb, label))
    models = root / MODELS_FILE
    if models.exists():
        text = models.read_text(encoding="utf-8")
        begin, _ = section_markers(MODELS_SECTION, PYTHON_COMMENT)
        if for_models and begin not in text:
            raise AuthoringError(f"{MODELS_FILE} has no '{begin}' line, below which the code "
                                 "of the cells tagged 'models' goes.")
        code = "\n\n\n".join(item.text() for item in for_models)
        outputs[models] = replace_section(text, MODELS_SECTION, code, label=str(MODELS_FILE),
                                          comment=PYTHON_COMMENT)
    return outputs
