"""The README's generated sections, each between a pair of marker comments such as
``<!-- BEGIN GENERATED: course-index -->`` and ``<!-- END GENERATED: course-index -->``:
the launch badge (Binder) and the course index, a table made from each solution
notebook's ``metadata.labutils``. Text outside the markers is never touched.
:func:`replace_section` serves ``labutils/models.py`` too (``tools/lesson_code.py``).
"""

from __future__ import annotations

from tools.notebook_header import BINDER_BADGE, Config, colab_badge
from tools.solution_markers import AuthoringError


def section_markers(section: str, comment: str = "<!-- {} -->") -> tuple[str, str]:
    """The pair of marker lines around a generated section; ``comment`` says how the file
    writes a comment (``"# {}"`` in Python)."""
    return (comment.format(f"BEGIN GENERATED: {section}"),
            comment.format(f"END GENERATED: {section}"))


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


def replace_section(text: str, section: str, content: str, label: str = "README.md",
                    comment: str = "<!-- {} -->") -> str:
    """``text`` (the file ``label``) with what lies between the markers of ``section``
    replaced by ``content``.

    Text without the markers comes back unchanged.
    """
    begin, end = section_markers(section, comment)
    if begin not in text and end not in text:
        return text
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start or text.count(begin) > 1 or text.count(end) > 1:
        raise AuthoringError(f"{label}: the markers '{begin}' and '{end}' must each appear "
                             "once, in that order.")
    return text[:start + len(begin)] + "\n\n" + content + "\n\n" + text[stop:]


def readme_text(text: str, config: Config, labs: list[tuple[str, dict]]) -> str:
    """The README with its generated sections (Binder badge, course index) brought up to date."""
    text = replace_section(text, "badges", badges_section(config))
    return replace_section(text, "course-index", course_index(config, labs))
