"""Training and evaluation loops: ``fit``, ``evaluate`` and ``predict``, and how they report.

The loops are written out plainly so that you can read them next to the ones in the
labs: move a batch to the device, forward, loss, backward, step. Two additions:

- the forward pass runs in mixed precision where the device does it well (see
  ``precision.py``); the loss and the metrics are always computed in float32;
- nothing is lost when training stops early: ``fit`` keeps the history of the finished
  epochs in ``model.history`` (the same dict it returns), whatever stops it: the stop
  button, a loss that is no longer a number, or an error.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator

import matplotlib.pyplot as plt
import numpy as np
import torch
from livelossplot import PlotLosses
from livelossplot.main_logger import COMMON_NAME_SHORTCUTS
from livelossplot.outputs import MatplotlibPlot
from matplotlib.ticker import MaxNLocator
from torch import nn
from tqdm.auto import tqdm

from .arguments import (
    describe,
    need_bool,
    need_callable,
    need_int,
    need_model,
    need_tensor,
    need_type,
)
from .errors import ArgumentTypeError, ArgumentValueError, LabutilsError, ModelInputError
from .precision import Numerics, choose_numerics
from .settings import grading

Metric = Callable[[torch.Tensor, torch.Tensor], torch.Tensor | float]
History = dict[str, list[float]]
PER_BATCH_SCHEDULERS = (torch.optim.lr_scheduler.OneCycleLR, torch.optim.lr_scheduler.CyclicLR)
CLASS_INDEX_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss)
MAX_EPOCHS = 10_000  # more is a typo (epochs=10**9 would train for days without a word)


# --- Reporting: a live plot in notebooks, one text line per epoch elsewhere ---------------

def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Colab, nbval), False in a terminal or script."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ in {"ZMQInteractiveShell", "Shell"}


def epoch_line(epoch: int, epochs: int, logs: dict[str, float], seconds: float) -> str:
    """``epoch 2/5  loss 0.08  val_loss 0.06  (3.1 s)``"""
    values = "  ".join(f"{name} {value:.4g}" for name, value in logs.items())
    return f"epoch {epoch}/{epochs}  {values}  ({seconds:.1f} s)"


class TextReport:
    """Prints the numerics line once, then one line per epoch."""

    def __init__(self, epochs: int, header: str):
        self.epochs = epochs
        print(header, flush=True)

    def update(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        print(epoch_line(epoch, self.epochs, logs, seconds), flush=True)


class LivePlot:
    """The live plot: livelossplot's matplotlib output, one panel per quantity (training
    and validation together), redrawn after every epoch. The text lines stay below.

    Two options of ours on it: each point is marked, so the first epoch shows already;
    the epoch axis spans the whole run from the start, with whole-number ticks.
    livelossplot orders the panels by name (``accuracy`` before ``loss``).
    """

    def __init__(self, epochs: int, header: str):
        self.epochs = epochs
        self.lines = [header]
        self.plot: PlotLosses | None = None  # made at the first epoch, which names the panels

    def update(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        if self.plot is None:
            self.plot = self._plot_losses(list(logs))
        self.lines.append(epoch_line(epoch, self.epochs, logs, seconds))
        self.plot.update(logs, current_step=epoch)
        self.plot.send()  # clears the cell's output, then shows the new figure
        print("\n".join(self.lines), flush=True)

    def _plot_losses(self, names: list[str]) -> PlotLosses:
        """livelossplot's logger and matplotlib output: a panel for each training quantity
        (``loss``), holding its validation curve (``val_loss``) too, all in one row."""
        panels = [name for name in names if not name.startswith("val_")]
        groups = {name: [key for key in (name, f"val_{name}") if key in names]
                  for name in panels}
        labels = {key: "validation" if key.startswith("val_") else "training" for key in names}
        output = MatplotlibPlot(max_cols=len(panels), figsize=(4.5 * len(panels), 3.2),
                                after_subplot=self._finish_panel, after_plots=_show)
        return PlotLosses(outputs=[output], groups=groups, metric_to_name=labels)

    def _finish_panel(self, ax: plt.Axes, title: str, x_label: str) -> None:
        """Marks on every point, the whole run on the epoch axis, titles and labels."""
        # livelossplot titles a few panels by a long name ("Loss"); we keep the short one.
        name = next((short for short, long in COMMON_NAME_SHORTCUTS.items() if long == title),
                    title)
        for line in ax.get_lines():
            line.set_marker("o")
        ax.set(title=name, xlabel=x_label, ylabel=name, xlim=(0.5, self.epochs + 0.5))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()


def _show(figure: plt.Figure) -> None:
    """Show the figure once and close it (livelossplot's own way, ``plt.show()``, leaves it
    open where figures are not drawn inline)."""
    from IPython.display import display

    figure.tight_layout()
    display(figure)
    plt.close(figure)


def make_reporter(epochs: int, header: str, live: bool | None = None) -> TextReport | LivePlot:
    """A :class:`LivePlot` in notebooks, a :class:`TextReport` elsewhere (or as ``live`` says)."""
    if live is None:
        live = in_notebook()
    return LivePlot(epochs, header) if live else TextReport(epochs, header)


class _Quiet:
    def update(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        pass


# --- Metrics and small helpers --------------------------------------------------------------

def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Fraction of rows of ``outputs`` ``(N, classes)`` whose largest score is the target
    (class indices ``(N,)``): a tensor holding one number."""
    outputs = need_tensor(outputs, "outputs", "accuracy", dims=(2,), shape_text="(N, classes)")
    targets = need_tensor(targets, "targets", "accuracy", dims=(1,), shape_text="(N,)")
    if outputs.dtype == torch.bool:
        raise ArgumentTypeError(f"accuracy() got outputs = {describe(outputs)}.",
                                "scores (N, classes) as numbers, e.g. the model's logits.",
                                "pass the model's outputs, e.g. predict(model, X).")
    if targets.is_floating_point() or targets.dtype == torch.bool:
        raise ArgumentTypeError(f"accuracy() got targets = {describe(targets)}.",
                                "class indices, an integer tensor (N,).",
                                "pass targets.long(), or the class indices "
                                "targets.argmax(dim=1) of one-hot targets.")
    if len(outputs) != len(targets):
        raise ArgumentValueError(
            f"accuracy() got {len(outputs)} rows of outputs but {len(targets)} targets.",
            "one target per row of outputs.",
            "pass the outputs and the targets of the same batch.")
    return (outputs.argmax(dim=1) == targets.to(outputs.device)).float().mean()


def _default_metrics(loss_fn: nn.Module | Callable) -> dict[str, Metric]:
    return {"accuracy": accuracy} if isinstance(loss_fn, nn.CrossEntropyLoss) else {}


def _model_device(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def _is_channels_last(model: nn.Module) -> bool:
    """True when the model's 4-d weights (convolutions) are stored channels last."""
    weights = [p for p in model.parameters() if p.dim() == 4]
    return bool(weights) and all(
        p.is_contiguous(memory_format=torch.channels_last) for p in weights)


def _to(x: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    x = x.to(device, non_blocking=True)
    if channels_last and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def _is_one_shot(loader: Iterable) -> bool:
    """True for an iterator (e.g. a generator), which can be gone through only once."""
    return isinstance(loader, Iterator)


def _check_labels(loss_fn: Callable, outputs: torch.Tensor, targets: torch.Tensor,
                  where: str) -> None:
    """Class-index labels must lie in 0 .. classes - 1 (a friendly error instead of torch's)."""
    if not isinstance(loss_fn, CLASS_INDEX_LOSSES) or targets.is_floating_point():
        return
    if outputs.dim() < 2 or targets.numel() == 0:
        return
    classes = outputs.shape[1]
    labels = targets[targets != loss_fn.ignore_index]
    if labels.numel() and (labels.min() < 0 or labels.max() >= classes):
        found = sorted(set(labels.unique().tolist()))
        shown = ", ".join(str(v) for v in found[:12]) + (" ..." if len(found) > 12 else "")
        raise ModelInputError(
            f"Labels out of range {where}: the batch has labels {shown}, but the model "
            f"has {classes} outputs.",
            f"labels from 0 to {classes - 1}, one per output.",
            f"give the last layer as many outputs as there are classes (here at least "
            f"{max(found) + 1}), or fix the labels (e.g. start them at 0).")


def _first_layer(model: nn.Module) -> str:
    """What the model's first layer with weights takes, in words (empty when none)."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return f" Its first layer, {module}, takes images (N, {module.in_channels}, H, W)."
        if isinstance(module, nn.Linear):
            return f" Its first layer, {module}, takes (N, {module.in_features})."
    return ""


def _forward(model: nn.Module, inputs: object, numerics: Numerics, where: str) -> object:
    """``model(inputs)`` in ``numerics``; what torch rejects becomes a :class:`ModelInputError`
    that names the batch, its dtype and shape, and the fix (torch's error is the cause)."""
    try:
        with numerics.autocast():
            return model(inputs)
    except (NotImplementedError, LabutilsError):
        raise  # a stub not written yet, or an error that already explains itself
    except (RuntimeError, TypeError, ValueError, IndexError) as error:
        dtype = _parameter_dtype(model)
        if isinstance(inputs, torch.Tensor) and not inputs.is_floating_point():
            fix = ("convert the inputs to floats before making the loader: X = X.float() "
                   "(and / 255 for pixels stored as uint8).")
        elif isinstance(inputs, torch.Tensor) and dtype is not None and inputs.dtype != dtype:
            fix = (f"convert the inputs to the model's {_dtype_name(dtype)} before making the "
                   "loader: X = X.float() (torch.from_numpy keeps numpy's float64).")
            if numerics.dtype is not None:
                fix += (f" The {_dtype_name(numerics.dtype)} in torch's words is the mixed "
                        "precision labutils chose; the inputs' dtype is what to change.")
        else:
            fix = ("make the inputs the shape the model takes (torch's words are above), "
                   "or fix the layer they name.")
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ModelInputError(
            f"The model could not take the inputs {where}: {describe(inputs)} "
            f"({type(error).__name__}: {first_line}).",
            f"inputs the model takes: the dtype of its weights ({_dtype_name(dtype)}) and the "
            f"shape its first layer expects.{_first_layer(model)}", fix) from error


def _loss(loss_fn: Callable, outputs: object, targets: torch.Tensor, where: str) -> torch.Tensor:
    """``loss_fn(outputs, targets)``; what torch rejects becomes a :class:`ModelInputError`."""
    try:
        return loss_fn(outputs, targets)
    except (NotImplementedError, LabutilsError):
        raise
    except (RuntimeError, TypeError, ValueError, IndexError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        name = type(loss_fn).__name__
        raise ModelInputError(
            f"The loss {name} could not compare the outputs, {describe(outputs)}, with the "
            f"targets, {describe(targets)}, {where} ({type(error).__name__}: {first_line}).",
            "for nn.CrossEntropyLoss: outputs (N, classes) and class indices (N,) as long; "
            "for nn.BCEWithLogitsLoss and nn.MSELoss: float targets of the outputs' shape.",
            "convert the targets (y.long() for class indices, y.float() for the others), or "
            "give the model's last layer the number of outputs the targets need.") from error


def _parameter_dtype(model: nn.Module) -> torch.dtype | None:
    parameter = next(model.parameters(), None)
    return parameter.dtype if parameter is not None else None


def _dtype_name(dtype: torch.dtype | None) -> str:
    return str(dtype).removeprefix("torch.") if dtype is not None else "float32"


def _batch(batch: object, where: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``(inputs, targets)`` from one batch of a loader; other shapes get a clear error."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2 or not all(
            isinstance(part, torch.Tensor) for part in batch[:2]):
        raise ModelInputError(
            f"The loader gave {describe(batch)} as a batch {where}.",
            "batches (inputs, targets), two tensors, as labutils.TensorLoader(X, y) gives.",
            "make the loader from inputs and targets: labutils.TensorLoader(X, y).")
    if len(batch) > 2:
        raise ModelInputError(
            f"The loader gave a batch of {len(batch)} tensors {where}; fit would use the "
            "first two and ignore the rest without a word.",
            "batches (inputs, targets), two tensors.",
            "make the loader from inputs and targets only: labutils.TensorLoader(X, y).")
    return batch[0], batch[1]


class NonFiniteLoss(Exception):
    """Raised inside an epoch when the loss is nan or inf; ``fit`` stops and warns."""

    def __init__(self, value: float, batch: int):
        super().__init__(value, batch)
        self.value, self.batch = value, batch


def _run_epoch(model: nn.Module, loader: Iterable, loss_fn: Callable, metrics: dict[str, Metric],
               device: torch.device, numerics: Numerics, optimizer=None, scaler=None,
               scheduler=None, channels_last: bool = False, where: str = "",
               bar: str | None = None) -> dict[str, float]:
    """One pass over ``loader`` (training when an optimizer is given): mean loss, metrics.

    Raises :class:`NonFiniteLoss` before a step that would use a nan or inf loss, and a
    labutils error for an empty loader, a batch the model or the loss cannot take, or
    labels out of range.
    """
    training = optimizer is not None
    model.train(training)
    totals = {name: 0.0 for name in ["loss", *metrics]}
    seen = 0
    batches = tqdm(loader, desc=bar, leave=False) if bar is not None else loader
    with torch.set_grad_enabled(training):
        for batch, items in enumerate(batches, start=1):
            inputs, targets = _batch(items, f"{where}, batch {batch}")
            inputs = _to(inputs, device, channels_last)
            targets = targets.to(device, non_blocking=True)
            outputs = _forward(model, inputs, numerics, f"{where}, batch {batch}")
            if isinstance(outputs, torch.Tensor):
                outputs = outputs.float()  # loss and metrics in float32 (see precision.py)
            _check_labels(loss_fn, outputs, targets, f"{where}, batch {batch}")
            loss = _loss(loss_fn, outputs, targets, f"{where}, batch {batch}")
            if training and not torch.isfinite(loss):
                raise NonFiniteLoss(float(loss), batch)
            if training:
                _step(loss, optimizer, scaler, scheduler)
            n = len(inputs)
            seen += n
            totals["loss"] += loss.detach() * n
            with torch.no_grad():
                for name, metric in metrics.items():
                    totals[name] += metric(outputs.detach(), targets) * n
    if seen == 0:
        raise ArgumentValueError(
            f"The loader gave no batches {where}.",
            "(inputs, targets) batches, at least one.",
            "if it is a generator or an iterator, it was used up by an earlier pass: pass a "
            "DataLoader, a labutils.TensorLoader or a list, which can be gone through again; "
            "otherwise check that the data set is not empty.")
    return {name: float(total) / seen for name, total in totals.items()}


def _step(loss: torch.Tensor, optimizer: torch.optim.Optimizer, scaler=None,
          scheduler=None) -> None:
    """One optimizer step on ``loss`` (scaled when 16-bit numerics need it); a scheduler
    that works per batch steps too."""
    optimizer.zero_grad(set_to_none=True)
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    if isinstance(scheduler, PER_BATCH_SCHEDULERS):
        scheduler.step()


# --- fit, evaluate, predict ------------------------------------------------------------------

def _need_loader(loader: object, name: str, where: str) -> Iterable:
    """An iterable of ``(inputs, targets)`` batches (not a tensor, which is one batch)."""
    if isinstance(loader, (torch.Tensor, str, bytes, dict)) or not isinstance(loader, Iterable):
        raise ArgumentTypeError(
            f"{where}() got {name} = {describe(loader)}.",
            "something that gives (inputs, targets) batches, e.g. "
            "labutils.TensorLoader(X, y, batch_size=128), a DataLoader or a list of batches.",
            f"wrap your tensors: {name}=labutils.TensorLoader(X, y, batch_size=128).")
    return loader


def _need_metrics(metrics: object, where: str) -> dict[str, Metric] | None:
    """``None`` or a dict ``{name: function(outputs, targets)}``."""
    if metrics is None:
        return None
    example = '{"accuracy": labutils.accuracy}'
    if not isinstance(metrics, dict) or not all(
            isinstance(name, str) and callable(metric) for name, metric in metrics.items()):
        raise ArgumentTypeError(f"{where}() got metrics = {describe(metrics)}.",
                                "a dict {name: function(outputs, targets)}.",
                                f"pass metrics={example}, or leave it out.")
    return metrics


def _check_optimizer(optimizer: object, model: nn.Module) -> None:
    """``None`` or a torch optimizer over (some of) this model's parameters."""
    if optimizer is None:
        return
    need_type(optimizer, torch.optim.Optimizer, "optimizer", "fit",
              "a torch optimizer, e.g. torch.optim.Adam(model.parameters(), lr=1e-3).",
              "build it from this model: optimizer=torch.optim.Adam(model.parameters()).")
    mine = {id(p) for p in model.parameters()}
    theirs = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if mine and not mine & theirs:
        raise ArgumentValueError(
            "fit() got an optimizer that holds none of this model's parameters (it was built "
            "for another model, or before the model was rebuilt).",
            "an optimizer over this model's parameters; otherwise fit trains nothing.",
            "build it after the model: optimizer=torch.optim.Adam(model.parameters()).")


def _check_fit_arguments(model, train_loader, val_loader, epochs, optimizer, loss_fn,
                         metrics, scheduler, channels_last, live, verbose,
                         mixed_precision) -> None:
    need_model(model, "fit")
    need_int(epochs, "epochs", "fit", low=1, high=MAX_EPOCHS)
    _need_loader(train_loader, "train_loader", "fit")
    if val_loader is not None:
        _need_loader(val_loader, "val_loader", "fit")
    one_shot = [name for name, loader in [("train_loader", train_loader),
                                          ("val_loader", val_loader)]
                if loader is not None and _is_one_shot(loader)]
    if one_shot and (epochs > 1 or "val_loader" in one_shot):
        raise ArgumentValueError(
            f"fit() got {' and '.join(one_shot)} as an iterator (e.g. a generator), which can "
            f"be gone through only once, but fit needs a new pass every epoch ({epochs} epochs).",
            "a loader that can be gone through again and again.",
            "pass a DataLoader, a labutils.TensorLoader or a list of batches instead.")
    _check_optimizer(optimizer, model)
    need_callable(loss_fn, "loss_fn", "fit", "nn.CrossEntropyLoss()", optional=True)
    _need_metrics(metrics, "fit")
    if scheduler is not None and not hasattr(scheduler, "step"):
        raise ArgumentTypeError(f"fit() got scheduler = {describe(scheduler)}.",
                                "a learning-rate scheduler from torch.optim.lr_scheduler.",
                                "pass e.g. scheduler=torch.optim.lr_scheduler.OneCycleLR(...)"
                                ", or leave it out.")
    need_bool(channels_last, "channels_last", "fit")
    need_bool(live, "live", "fit", optional=True)
    need_bool(verbose, "verbose", "fit")
    need_bool(mixed_precision, "mixed_precision", "fit")


def _say_stopped(history: History) -> None:
    """One line when training is interrupted: by the stop button, or (while a class is
    graded) by the grader's time limit for one cell."""
    who = "the grader's time limit for one cell" if grading() else "you"
    print(f"Training stopped by {who} after {_finished(history)}: the model is in eval "
          "mode and model.history holds them. Cells queued after this one will not run.",
          flush=True)


def fit(model: nn.Module, train_loader: Iterable, val_loader: Iterable | None = None,
        epochs: int = 5, optimizer: torch.optim.Optimizer | None = None,
        loss_fn: Callable | None = None, metrics: dict[str, Metric] | None = None,
        scheduler=None, channels_last: bool = False, live: bool | None = None,
        verbose: bool = True, mixed_precision: bool = True) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``; return the history.

    Args:
        model: already on the device you want; batches are moved to the model's device.
        epochs: passes over ``train_loader``, 1 to 10,000.
        train_loader, val_loader: iterables of ``(inputs, targets)`` batches that can be
            gone through once per epoch, e.g. a ``DataLoader`` or a
            :class:`labutils.TensorLoader`. ``val_loader`` is optional.
        optimizer: default ``Adam(model.parameters(), lr=1e-3)``.
        loss_fn: default ``nn.CrossEntropyLoss()``.
        metrics: ``{name: fn(outputs, targets)}``, averaged over items. Default: accuracy
            when the loss is cross-entropy, nothing otherwise.
        scheduler: a learning-rate scheduler. ``OneCycleLR`` and ``CyclicLR`` are stepped
            after every batch, ``ReduceLROnPlateau`` with the validation loss after every
            epoch, any other scheduler after every epoch.
        channels_last: store images as ``(N, H, W, C)`` in memory, which is often faster
            for convolutions (CPUs, and GPUs in mixed precision).
        live: live plot (True), one text line per epoch (False), or choose by whether
            we run in a notebook (None).
        verbose: print the numerics line, the epochs and a progress bar (False: nothing).
        mixed_precision: use the fastest numerics the device does well (see
            ``precision.py``); False trains in float32.

    Training draws from torch's random state (dropout, a shuffling loader without a seed),
    as any training loop does: call :func:`labutils.set_seed` first for a repeatable run.

    Returns:
        A dict of lists, one value per epoch: ``loss``, ``val_loss``, each metric and
        ``val_`` + each metric, ``lr`` and ``seconds``. The model is left in eval mode,
        ready for :func:`predict` (call ``model.train()`` to go on training by hand).
        The same dict is ``model.history``, updated after every epoch, so it keeps the
        finished epochs when training stops:

        - the stop button (or Ctrl-C): one line says so, the model is put in eval mode
          and the interrupt goes on, so the cells queued after this one do not run;
        - a loss that becomes nan or inf: a warning names the epoch and the batch, and
          fit returns with the finished epochs (the weights are those of the last good step);
        - any error (labels out of range, an empty loader ...): the model is put in eval
          mode and the error says that ``model.history`` holds the finished epochs.
    """
    _check_fit_arguments(model, train_loader, val_loader, epochs, optimizer, loss_fn, metrics,
                         scheduler, channels_last, live, verbose, mixed_precision)
    device = _model_device(model)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    metrics = _default_metrics(loss_fn) if metrics is None else metrics
    numerics = choose_numerics(device, mixed_precision)
    scaler = numerics.grad_scaler()
    if channels_last:
        model.to(memory_format=torch.channels_last)
    reporter = make_reporter(epochs, numerics.describe(), live) if verbose else _Quiet()
    show_bar = verbose and (in_notebook() or sys.stderr.isatty())
    history: History = {}
    model.history, epoch = history, 1
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            lr = optimizer.param_groups[0]["lr"]
            logs = _run_epoch(model, train_loader, loss_fn, metrics, device, numerics,
                              optimizer, scaler, scheduler, channels_last,
                              where=f"in epoch {epoch} (training)",
                              bar=f"epoch {epoch}/{epochs}" if show_bar else None)
            if val_loader is not None:
                val_logs = _run_epoch(model, val_loader, loss_fn, metrics, device, numerics,
                                      channels_last=channels_last,
                                      where=f"in epoch {epoch} (validation)")
                logs.update({f"val_{name}": value for name, value in val_logs.items()})
            _epoch_scheduler_step(scheduler, logs)
            seconds = time.perf_counter() - start
            for name, value in {**logs, "lr": lr, "seconds": seconds}.items():
                history.setdefault(name, []).append(value)
            reporter.update(epoch, logs, seconds)
    except NonFiniteLoss as stop:
        model.eval()
        _warn_non_finite(stop, epoch, history)
    except KeyboardInterrupt:
        model.eval()
        _say_stopped(history)
        raise
    except Exception as error:
        model.eval()
        error.add_note(f"labutils.fit: training stopped in epoch {epoch}; model.history holds "
                       f"the {_finished(history)} and the model is in eval mode.")
        raise
    model.eval()
    return history


def _epoch_scheduler_step(scheduler, logs: dict[str, float]) -> None:
    """Step a scheduler that works per epoch (ReduceLROnPlateau on the validation loss)."""
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(logs.get("val_loss", logs["loss"]))
    elif scheduler is not None and not isinstance(scheduler, PER_BATCH_SCHEDULERS):
        scheduler.step()


def _warn_non_finite(stop: NonFiniteLoss, epoch: int, history: History) -> None:
    warnings.warn(
        f"The loss became {stop.value} in epoch {epoch}, batch {stop.batch}, so training "
        f"stopped there, before that step. The history holds the {_finished(history)}; "
        "the model keeps the weights of the last good step. Try a smaller learning rate, "
        "or look for nan or inf in the inputs.", RuntimeWarning, stacklevel=3)


def _finished(history: History) -> str:
    count = len(history.get("loss", []))
    return f"{count} finished epoch{'' if count == 1 else 's'}"


def _modes(model: nn.Module) -> dict[nn.Module, bool]:
    """Train or eval mode of every part of ``model``, to be given back by :func:`_restore`."""
    return {module: module.training for module in model.modules()}


def _restore(modes: dict[nn.Module, bool]) -> None:
    for module, training in modes.items():
        module.training = training


def evaluate(model: nn.Module, loader: Iterable, loss_fn: Callable | None = None,
             metrics: dict[str, Metric] | None = None, channels_last: bool | None = None,
             mixed_precision: bool = True) -> dict[str, float]:
    """Mean loss and metrics of ``model`` over ``loader``, in eval mode and without gradients.

    Defaults as in :func:`fit`: cross-entropy loss, plus accuracy for that loss, and the
    same numerics. ``channels_last=None`` follows the model's own memory layout. Every
    part of the model is given back the mode (train or eval) it had.
    """
    need_model(model, "evaluate")
    _need_loader(loader, "loader", "evaluate")
    need_callable(loss_fn, "loss_fn", "evaluate", "nn.CrossEntropyLoss()", optional=True)
    _need_metrics(metrics, "evaluate")
    need_bool(channels_last, "channels_last", "evaluate", optional=True)
    need_bool(mixed_precision, "mixed_precision", "evaluate")
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    metrics = _default_metrics(loss_fn) if metrics is None else metrics
    device = _model_device(model)
    if channels_last is None:
        channels_last = _is_channels_last(model)
    modes = _modes(model)
    try:
        return _run_epoch(model, loader, loss_fn, metrics, device,
                          choose_numerics(device, mixed_precision), channels_last=channels_last,
                          where="in evaluate")
    finally:
        _restore(modes)


@torch.no_grad()
def predict(model: nn.Module, data: torch.Tensor | Iterable, batch_size: int = 512,
            mixed_precision: bool = True) -> torch.Tensor:
    """The model's outputs for every input, in float32, concatenated on the CPU.

    ``data`` is a tensor of inputs ``(N, ...)`` or a loader whose batches start with the
    inputs. Returns a tensor ``(N, ...)``: for a classifier, the logits ``(N, classes)``.
    The model is put in eval mode and left there, as :func:`fit` leaves it (call
    ``model.train()`` to train on by hand); the numerics are those of :func:`fit`.
    """
    need_model(model, "predict")
    batch_size = need_int(batch_size, "batch_size", "predict", low=1)
    need_bool(mixed_precision, "mixed_precision", "predict")
    if isinstance(data, np.ndarray):
        data = need_tensor(data, "data", "predict", nonempty=False)
    if isinstance(data, torch.Tensor):
        if data.dim() == 0:
            need_tensor(data, "data", "predict", dims=range(1, 9), shape_text="(N, ...)")
        batches: Iterable = (data[i:i + batch_size] for i in range(0, len(data), batch_size))
    else:
        loader = _need_loader(data, "data", "predict")
        batches = (batch[0] if isinstance(batch, (tuple, list)) and batch else batch
                   for batch in loader)
    device = _model_device(model)
    numerics = choose_numerics(device, mixed_precision)
    channels_last = _is_channels_last(model)
    model.eval()
    outputs = []
    for number, x in enumerate(batches, start=1):
        if not isinstance(x, torch.Tensor):
            raise ModelInputError(f"predict() got {describe(x)} as the inputs of batch "
                                  f"{number}.", "a tensor of inputs (N, ...) per batch.",
                                  "pass a tensor X, or a loader of (inputs, targets).")
        output = _forward(model, _to(x, device, channels_last), numerics,
                          f"in predict, batch {number}")
        if not isinstance(output, torch.Tensor):
            raise ModelInputError(f"The model returned {describe(output)} in predict.",
                                  "a tensor of outputs (N, ...).",
                                  "make forward return one tensor.")
        outputs.append(output.float().cpu().contiguous())
    if not outputs:
        raise ArgumentValueError(
            "predict got no inputs: the tensor is empty or the loader gave no batches.",
            "inputs (N, ...) with N >= 1.",
            "check the data; a generator is used up after one pass, so pass a tensor or a "
            "loader that can be gone through again.")
    return torch.cat(outputs)
