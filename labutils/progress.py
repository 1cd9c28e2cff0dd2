"""How training reports itself: a live plot in notebooks, compact text elsewhere."""

from __future__ import annotations

import sys


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Colab, nbval), False in a terminal or script."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ in {"ZMQInteractiveShell", "Shell"}


def _format(logs: dict[str, float]) -> str:
    return "  ".join(f"{name} {value:.4g}" for name, value in logs.items())


class TextReport:
    """One line per epoch, e.g. ``epoch 2/5  loss 0.08  val_loss 0.06  (3.1 s)``."""

    def __init__(self, epochs: int):
        self.epochs = epochs

    def update(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        print(f"epoch {epoch}/{self.epochs}  {_format(logs)}  ({seconds:.1f} s)", flush=True)
        sys.stdout.flush()

    def close(self) -> None:
        pass


class LivePlot:
    """Redraws loss and metric curves after every epoch with livelossplot.

    Names ``x`` and ``val_x`` share a panel, so training and validation curves of the
    same quantity appear together.
    """

    def __init__(self, epochs: int):
        from livelossplot import PlotLosses
        from livelossplot.outputs import MatplotlibPlot

        self.epochs = epochs
        self.last = ""
        self.plot = PlotLosses(outputs=[MatplotlibPlot(after_subplot=self._label_axes)])

    @staticmethod
    def _label_axes(ax, group_name: str, x_label: str) -> None:
        ax.set_title(group_name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(group_name)
        ax.legend(loc="center right")

    def update(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        self.plot.update(logs, current_step=epoch)
        self.plot.send()  # clears the cell's output and draws the curves again
        self.last = f"epoch {epoch}/{self.epochs}  {_format(logs)}  ({seconds:.1f} s)"
        print(self.last, flush=True)

    def close(self) -> None:
        pass


def make_reporter(epochs: int, live: bool | None = None) -> TextReport | LivePlot:
    """A :class:`LivePlot` in notebooks, a :class:`TextReport` elsewhere (or as ``live`` says)."""
    if live is None:
        live = in_notebook()
    return LivePlot(epochs) if live else TextReport(epochs)
