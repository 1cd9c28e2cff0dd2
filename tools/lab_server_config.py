"""JupyterLab server settings for ``make lab`` (passed with ``--config``).

A notebook that the student has not changed must not show as modified when it opens.
JupyterLab writes the kernel's ``kernelspec`` and ``language_info`` into the notebook as
soon as the kernel starts, and marks the notebook modified whenever they differ from the
file's. ``language_info`` holds the exact Python version (3.11.7), which differs from
machine to machine, so no committed notebook can carry it. Instead, the server hands
JupyterLab each notebook with the values this machine's Python kernel will report;
the file on disk changes only when the student saves.
"""

from __future__ import annotations

from functools import cache

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

KERNEL = "python3"


@cache
def kernel_metadata() -> dict:
    """``kernelspec`` and ``language_info`` as JupyterLab will write them for ``python3``."""
    from ipykernel.ipkernel import IPythonKernel
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    return {"kernelspec": {"name": KERNEL, "display_name": spec.display_name,
                           "language": spec.language},
            "language_info": dict(IPythonKernel.language_info)}


def match_kernel(metadata: dict) -> None:
    """Fill in a Python 3 notebook's kernel metadata (``metadata`` changes in place)."""
    spec = metadata.get("kernelspec") or {}
    if spec.get("name") == KERNEL:
        metadata.update(kernel_metadata())


class WorkbookContentsManager(AsyncLargeFileManager):
    """The default contents manager, serving notebooks with this machine's kernel metadata."""

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(path, content=content, type=type, format=format, **kwargs)
        if model.get("type") == "notebook" and model.get("content"):
            match_kernel(model["content"]["metadata"])
        return model


if "get_config" in globals():  # jupyter provides it when it reads this file as a config
    c = get_config()  # noqa: F821
    c.ServerApp.contents_manager_class = WorkbookContentsManager
