"""Figures travel inside their notebook, as markdown-cell attachments.

An author links a figure from ``img/`` as ``![alt](../img/NAME.png)``. The generator turns
that into ``![alt](attachment:NAME.png)`` and puts the PNG itself into the cell's
``attachments``, so the diagram shows on Colab and in a notebook opened on its own.
``img/`` stays the one source: every run copies each attached figure afresh from there.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from tools.solution_markers import AuthoringError

IMG_LINK = re.compile(r"\]\((?:\.\./)?img/([\w.-]+\.png)\)")
ATTACHMENT_LINK = re.compile(r"\]\(attachment:([\w.-]+\.png)\)")


def encode(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def attach_figures(cell: dict, img: Path, where: str) -> dict:
    """Turn the img/ links of a markdown ``cell`` (changed in place, and returned) into
    attachments that hold the files from ``img``; drop attachments nothing links to."""
    source = IMG_LINK.sub(lambda match: f"](attachment:{match.group(1)})", cell["source"])
    names = sorted(set(ATTACHMENT_LINK.findall(source)))
    attachments = dict(cell.get("attachments") or {})
    for name in names:
        figure = img / name
        if figure.is_file():
            attachments[name] = {"image/png": encode(figure)}
        elif name not in attachments:
            raise AuthoringError(
                f"{where}: the figure '{name}' is neither in img/ nor attached to the cell. "
                "Draw it with `make figures` (tools/draw_figures.py), or fix the link.")
    cell["source"] = source
    kept = {name: attachments[name] for name in names}
    if kept:
        cell["attachments"] = kept
    else:
        cell.pop("attachments", None)
    return cell
