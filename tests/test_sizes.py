"""tools/sizes.py (``make sizes``): the budget for growth holds, and the script fails when
a scratch tree breaks it."""

from __future__ import annotations

import re
from pathlib import Path

from tools import sizes

ROOT = Path(__file__).resolve().parents[1]


def function_of(length: int, name: str = "long_one") -> str:
    """Python source of a function of exactly ``length`` lines."""
    body = "".join(f"    x{k} = {k}\n" for k in range(length - 2))
    return f"def {name}():\n{body}    return 0\n"


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    return tmp_path


def test_the_workbook_is_within_its_budget(capsys):
    assert sizes.main(["--root", str(ROOT)]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "library    labutils/ without checks/" in out and "Within the budget." in out


def test_a_function_at_the_limit_passes_and_one_line_more_fails(tmp_path, capsys):
    root = tree(tmp_path, {"tools/fine.py": function_of(sizes.FUNCTION_LIMIT, "fine")})
    assert sizes.main(["--root", str(root)]) == 0
    (root / "labutils" / "data").mkdir(parents=True)
    (root / "labutils" / "data" / "big.py").write_text(
        "class Loader:\n" + "".join(f"    {line}\n" for line in
                                    function_of(sizes.FUNCTION_LIMIT + 1).splitlines()))
    assert sizes.main(["--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "    51  Loader.long_one" in out
    assert "Loader.long_one in labutils/data/big.py:2 has 51 lines: over 50 lines: split it" in out


def test_a_function_longer_before_may_stay_but_not_grow(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sizes, "LONGER_BEFORE", {("labutils/train.py", "fit"): 60})
    root = tree(tmp_path, {"labutils/train.py": function_of(60, "fit")})
    assert sizes.main(["--root", str(root)]) == 0
    assert "(known, may not grow past 60)" in capsys.readouterr().out
    (root / "labutils" / "train.py").write_text(function_of(61, "fit"))
    assert sizes.main(["--root", str(root)]) == 1
    assert "fit in labutils/train.py:1 has 61 lines: grew past its 60 lines" in \
        capsys.readouterr().out
    (root / "labutils" / "train.py").write_text(function_of(20, "fit"))
    assert sizes.main(["--root", str(root)]) == 0
    assert "take it off LONGER_BEFORE" in capsys.readouterr().out


def test_a_room_over_its_budget_fails_and_the_checks_count_apart(tmp_path, capsys):
    library = next(room for room in sizes.ROOMS if room.name == "library")
    root = tree(tmp_path, {"labutils/checks/many.py": "x = 1\n" * (library.budget + 1)})
    assert sizes.main(["--root", str(root)]) == 0  # the checks are a room of their own
    (root / "labutils" / "many.py").write_text("x = 1\n" * (library.budget + 1))
    assert sizes.main(["--root", str(root)]) == 1
    assert f"library has {library.budget + 1:,} lines, over its budget of " \
        f"{library.budget:,}" in capsys.readouterr().out


def test_contributing_states_the_budget_the_script_holds():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    for room in sizes.ROOMS:
        assert re.search(rf"\| {room.name} \| `{re.escape(room.label)}` \| {room.budget:,} \|",
                         text), f"CONTRIBUTING.md does not give {room.name} {room.budget:,}"
    assert f"no function over {sizes.FUNCTION_LIMIT} lines" in text

