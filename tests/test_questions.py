"""Questions to think about, with model answers for instructors only, and the scorecard
that ends every lab."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
IDS = [path.stem[:2] for path in SOLUTIONS]
QUESTION = re.compile(r"^\*\*Question (\d+)\.\*\*")
ANSWER = re.compile(r"^\*\*Model answer (\d+)\.\*\*")


def cells(folder: str, name: str) -> list[dict]:
    notebook = json.loads((ROOT / folder / name).read_text())
    for cell in notebook["cells"]:
        cell["text"] = "".join(cell["source"])
        cell["tags"] = cell.get("metadata", {}).get("tags", [])
    return notebook["cells"]


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_every_lab_asks_four_to_eight_questions_each_with_a_model_answer(path):
    found = cells("solutions", path.name)
    numbers = []
    for index, cell in enumerate(found):
        question = QUESTION.match(cell["text"])
        if cell["cell_type"] != "markdown" or not question:
            continue
        number = int(question.group(1))
        numbers.append(number)
        after = found[index + 1] if index + 1 < len(found) else {"text": "", "tags": []}
        answer = ANSWER.match(after["text"])
        assert answer and int(answer.group(1)) == number, (
            f"{path.name}: question {number} needs its model answer in the next cell, "
            f"starting '**Model answer {number}.**'")
        assert "instructor" in after["tags"], (
            f"{path.name}: model answer {number} must be tagged 'instructor'")
        assert len(after["text"].split()) >= 15, f"model answer {number} is too short"
    assert numbers == list(range(1, len(numbers) + 1)), f"{path.name}: questions {numbers}"
    assert 4 <= len(numbers) <= 8, f"{path.name} asks {len(numbers)} questions"


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_students_see_the_questions_but_no_model_answer(path):
    solution = [c for c in cells("solutions", path.name) if QUESTION.match(c["text"])]
    student = cells("notebooks", path.name)
    asked = [c["text"] for c in student if QUESTION.match(c["text"])]
    assert asked == [c["text"] for c in solution]
    leaks = [c["text"][:40] for c in student
             if ANSWER.search(c["text"]) or "Model answer" in c["text"]]
    assert not leaks, f"notebooks/{path.name} shows model answers: {leaks}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_every_lab_ends_with_its_scorecard(path):
    lab = int(path.name[:2])
    student = [c for c in cells("notebooks", path.name) if c["cell_type"] == "code"]
    assert student[-1]["text"].strip() == f"scorecard({lab})"
    solution = [c for c in cells("solutions", path.name) if c["cell_type"] == "code"]
    assert "instructor" in solution[-1]["tags"]
    assert f"scorecard({lab}, show=False).all_passed" in solution[-1]["text"]
    assert solution[-2]["text"].strip() == f"scorecard({lab})"
