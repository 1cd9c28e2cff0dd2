"""The README: its generated parts (launch badges, course index) and what it must say."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from tools import generate_notebooks as authoring
from tools import readme_sections as sections

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
CONFIG = authoring.read_config(ROOT)


def labs_of(root: Path) -> list[tuple[str, dict]]:
    return [(path.name, nbformat.read(path, as_version=4).metadata["labutils"])
            for path in sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb"))]


def test_generated_sections_are_up_to_date():
    assert sections.readme_text(README, CONFIG, labs_of(ROOT)) == README, (
        "README.md's course index or badges are out of date: run `make notebooks`.")


def test_readme_has_both_generated_sections():
    for section in ("badges", "course-index"):
        begin, end = sections.section_markers(section)
        assert README.count(begin) == 1 and README.count(end) == 1
        assert README.index(begin) < README.index(end)


def test_binder_badge_comes_from_pyproject():
    url = CONFIG.binder_url
    assert url.startswith(f"https://mybinder.org/v2/gh/{CONFIG.github_path}/{CONFIG.branch}")
    assert f"({url})" in README


def test_the_two_commands_come_first():
    first_block = re.search(r"```bash\n(.*?)```", README, re.DOTALL).group(1)
    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()] == [
        "make lab", "make test"]


@pytest.mark.parametrize("needed", [
    "environment.yml", "pip install -r requirements.txt", "Colab", "Binder",
    "LABUTILS_DATA_DIR", "LABUTILS_DATA_MIRROR", "export LABUTILS_DATA_MIRROR=../shared/datasets",
    "LABUTILS_DEVICE", "python -m labutils doctor", "CONTRIBUTING.md", "make figures",
    "make clean-venv", "ARGS=--force", "notebooks/.backup/",
])
def test_readme_explains(needed):
    assert needed in README


def meta(lab: int, title: str, topics: list[str], minutes: int = 45) -> dict:
    return {"lab": lab, "title": title, "topics": topics, "minutes": minutes,
            "cpu_budget_s": 60, "points": {}}


def test_course_index_rows():
    labs = [("02_first_cnn.ipynb", meta(2, "Your first CNN", ["MNIST", "training"], 90)),
            ("01_convolutions.ipynb", meta(1, "Convolutions | pooling", ["convolution"], 60))]
    table = sections.course_index(CONFIG, labs).splitlines()
    assert table[0] == "| Lab | Title | Topics | Time | Colab |"
    assert table[2].startswith("| 01 | [Convolutions \\| pooling](notebooks/01_convolutions.ipynb)"
                               " | convolution | 60 min | [![Open In Colab]")
    assert CONFIG.colab_url("notebooks/01_convolutions.ipynb") in table[2]
    assert table[3].startswith("| 02 | [Your first CNN](notebooks/02_first_cnn.ipynb) | "
                               "MNIST, training | 90 min |")
    assert len(table) == 4


def test_course_index_without_labs():
    assert "No lab" in sections.course_index(CONFIG, [])


def test_replace_section_keeps_the_rest():
    begin, end = sections.section_markers("course-index")
    text = f"before\n{begin}\nold\n{end}\nafter\n"
    assert sections.replace_section(text, "course-index", "new") == \
        f"before\n{begin}\n\nnew\n\n{end}\nafter\n"
    assert sections.replace_section("no markers\n", "course-index", "new") == "no markers\n"
    with pytest.raises(authoring.AuthoringError, match="once, in that order"):
        sections.replace_section(f"{end}\n{begin}\n", "course-index", "new")
    with pytest.raises(authoring.AuthoringError):
        sections.replace_section(f"{begin}\n", "course-index", "new")


def test_make_notebooks_rewrites_the_index(tmp_path):
    """``generate`` fills the index from the solutions' metadata, and reports drift."""
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    begin, end = sections.section_markers("course-index")
    (tmp_path / "README.md").write_text(f"# Workbook\n\n{begin}\nstale\n{end}\n\nThe end.\n")
    (tmp_path / "solutions").mkdir()
    for number, title in ((3, "Residual blocks"), (1, "Convolutions and pooling")):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}")]
        nb.metadata["labutils"] = meta(number, title, ["topic"])
        nbformat.write(nb, tmp_path / "solutions" / f"{number:02d}_lab.ipynb")

    assert "README.md" in authoring.generate(tmp_path, check=True, quiet=True).changed
    assert "stale" in (tmp_path / "README.md").read_text()  # check mode writes nothing
    authoring.generate(tmp_path, quiet=True)
    text = (tmp_path / "README.md").read_text()
    assert "stale" not in text and text.endswith("\n\nThe end.\n")
    rows = [line for line in text.splitlines() if line.startswith("| 0")]
    assert [row[:5] for row in rows] == ["| 01 ", "| 03 "]
    assert "[Residual blocks](notebooks/03_lab.ipynb)" in rows[1]
    assert authoring.generate(tmp_path, check=True).changed == []
