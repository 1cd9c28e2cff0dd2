"""What an exercise answer may use, read from its source before the grader runs it.

An answer to a lab's exercise needs PyTorch, NumPy and plain Python. Anything that
reaches past those, to change the grader's own code or to read and run what it should
not, is not an answer to a CNN exercise, so the grader does not run it: the exercise
earns no points and the grade report lists it for the instructor to look at.

The grader also runs the answer with guarded built-ins (``tools/recheck_runner.py``), so
what a name built at run time would reach (``getattr(x, "__" + "globals__")``) is refused
there; this module sees only what the source spells out.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# Modules an answer may import (and their submodules, but for those in FORBIDDEN_MODULES).
ALLOWED_MODULES = ("torch", "torchvision", "numpy", "math", "collections", "itertools",
                   "functools", "typing", "dataclasses", "operator", "statistics", "random",
                   "labutils", "__future__")
FORBIDDEN_MODULES = ("torch.utils.cpp_extension", "torch.hub", "torch.package", "torch.jit",
                     "torch.library", "torch.ops", "torch.compiler", "torch._",
                     "torchvision.models", "numpy.ctypeslib", "labutils.checks",
                     "labutils.models", "labutils_answers", "operator.attrgetter")
# Built-ins that run, open or reach code by name: not needed by any exercise.
FORBIDDEN_BUILTINS = frozenset({"eval", "exec", "compile", "__import__", "globals", "locals",
                                "vars", "open", "breakpoint", "input", "memoryview",
                                "__builtins__", "__loader__", "__spec__", "exit", "quit",
                                "help", "delattr"})
# Attributes that lead out of PyTorch and NumPy: into Python's internals, into other
# modules, or into loading and compiling code.
FORBIDDEN_ATTRIBUTES = frozenset({
    "sys", "os", "builtins", "modules", "ctypes", "subprocess", "importlib", "inspect", "gc",
    "load", "loads", "load_library", "load_inline", "cpp_extension", "hub", "ctypeslib",
    "package", "jit", "library", "ops", "classes", "compiler", "save", "fromfile", "memmap",
    "tofile", "system", "popen", "environ", "attrgetter", "methodcaller", "f_globals",
    "f_locals", "f_back", "f_builtins", "gi_frame", "cr_frame", "tb_frame", "tb_next", "co_code"})
# Double-underscore names an answer may use: construction, and reading names.
ALLOWED_DUNDERS = frozenset({"__init__", "__name__", "__class__", "__call__", "__len__",
                             "__getitem__", "__iter__", "__repr__", "__str__", "__main__",
                             "__future__", "__doc__", "__qualname__"})


@dataclass(frozen=True)
class Finding:
    """One thing an answer uses that the grader does not run, and its line."""

    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


def module_allowed(name: str) -> bool:
    """Whether an answer may import module ``name`` (labutils: its public face only)."""
    if name.startswith("labutils."):
        return False
    if any(name == bad or name.startswith(bad + ".") or (bad.endswith("_") and
           name.startswith(bad)) for bad in FORBIDDEN_MODULES):
        return False
    return any(name == good or name.startswith(good + ".") for good in ALLOWED_MODULES)


class _Reader(ast.NodeVisitor):
    def __init__(self, workbook_answers: frozenset[str]):
        self.found: list[Finding] = []
        self.modules: set[str] = set()  # names bound to imported modules
        self.workbook_answers = workbook_answers

    def note(self, node: ast.AST, what: str) -> None:
        self.found.append(Finding(getattr(node, "lineno", 0), what))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not module_allowed(alias.name):
                self.note(node, f"imports {alias.name}")
            self.modules.add((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        if node.level or not module_allowed(module):
            self.note(node, f"imports from {module}")
            return
        for alias in node.names:
            full = f"{module}.{alias.name}" if module != "labutils" else "labutils"
            if alias.name in ("*", "checks", "models") or not module_allowed(full) or \
                    alias.name in FORBIDDEN_BUILTINS | FORBIDDEN_ATTRIBUTES or \
                    (module.split(".")[0] == "labutils" and alias.name in self.workbook_answers):
                self.note(node, f"imports {alias.name} from {module}")
            elif alias.name.startswith("check_") or alias.name == "use_reference":
                self.note(node, f"imports {alias.name}")

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in FORBIDDEN_BUILTINS:
            self.note(node, f"uses {node.id}")
        elif node.id.startswith("__") and node.id not in ALLOWED_DUNDERS:
            self.note(node, f"uses {node.id}")
        elif node.id.startswith("check_") and isinstance(node.ctx, (ast.Store, ast.Del)):
            self.note(node, f"rebinds {node.id}, the grader's check")
        elif node.id == "use_reference":
            self.note(node, "uses use_reference (the way forward earns no points)")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = node.attr
        base = node.value.id if isinstance(node.value, ast.Name) else None
        if name.startswith("__") and name not in ALLOWED_DUNDERS:
            self.note(node, f"uses .{name}")
        elif name in FORBIDDEN_ATTRIBUTES:
            self.note(node, f"uses .{name}")
        elif name.startswith("_") and base in self.modules:
            self.note(node, f"uses {base}.{name}, a private part of {base}")
        elif base in self.modules and base == "labutils" and name in self.workbook_answers:
            self.note(node, f"uses labutils.{name}, the workbook's own answer")
        elif isinstance(node.ctx, (ast.Store, ast.Del)) and base in self.modules:
            self.note(node, f"changes {base}.{name}")
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.note(node, f"declares global {', '.join(node.names)}")

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name.startswith("__") and node.name not in ALLOWED_DUNDERS:
            self.note(node, f"defines {node.name}")
        self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.note(node, f"defines async {node.name}")

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and "__" in node.value and \
                node.value.strip("_") and node.value not in ALLOWED_DUNDERS and \
                node.value.startswith("__"):
            self.note(node, f"names {node.value!r}")


def scan(source: str, workbook_answers: frozenset[str] = frozenset()) -> list[Finding]:
    """What ``source`` (one exercise cell, IPython magics already turned into Python)
    uses that the grader does not run; empty for an ordinary answer.

    ``workbook_answers`` names labutils' own objects that answer an exercise (lab 04's
    ``BasicBlock``, say): using them is not answering.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return [Finding(error.lineno or 0, f"is not valid Python ({error.msg})")]
    reader = _Reader(workbook_answers)
    for node in ast.walk(tree):  # modules first, so that attribute reads know them
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                reader.modules.add((alias.asname or alias.name).split(".")[0])
    reader.modules |= {"torch", "nn", "F", "np", "labutils", "math", "torchvision"}
    reader.visit(tree)
    return sorted(set(reader.found), key=lambda finding: (finding.line, finding.what))


def normalised(source: str) -> str | None:
    """``source`` with names, comments, docstrings and layout taken out: two answers that
    differ only in those give the same text. None for source that is not Python."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names: dict[str, str] = {}

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            node.id = names.setdefault(node.id, f"v{len(names)}")
            return node

        def visit_arg(self, node: ast.arg) -> ast.AST:
            node.arg = names.setdefault(node.arg, f"v{len(names)}")
            node.annotation = None
            return node

        def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
            node.name = names.setdefault(node.name, f"v{len(names)}")
            node.returns = None
            return self.generic_visit(node)

        def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
            node.name = names.setdefault(node.name, f"v{len(names)}")
            return self.generic_visit(node)

        def visit_Expr(self, node: ast.Expr) -> ast.AST | None:
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return None  # a docstring
            return self.generic_visit(node)

    tree = Rename().visit(tree)
    return ast.dump(tree, annotate_fields=False)


def size(source: str) -> int:
    """How many syntax nodes ``source`` has: copies of very short answers prove nothing."""
    try:
        return sum(1 for _ in ast.walk(ast.parse(source)))
    except SyntaxError:
        return 0
