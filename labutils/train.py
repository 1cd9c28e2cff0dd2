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

import torch
from torch import nn
from tqdm.auto import tqdm

from .precision import Numerics, choose_numerics

Metric = Callable[[torch.Tensor, torch.Tensor], torch.Tensor | float]
History = dict[str, list[float]]
PER_BATCH_SCHEDULERS = (torch.optim.lr_scheduler.OneCycleLR, torch.optim.lr_scheduler.CyclicLR)
CLASS_INDEX_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss)


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
    """Redraws one panel per quantity (training and validation together) after every epoch.

    Each point is marked, so the first epoch shows already; the epoch axis spans the
    whole run from the start, with whole-number ticks. The text lines stay below.
    """

    def __init__(self, epochs: int, header: str):
        self.epochs = epochs
        self.lines = [header]
        self.history: History = {}

    def update(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import clear_output, display
        from matplotlib.ticker import MaxNLocator

        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)
        self.lines.append(epoch_line(epoch, self.epochs, logs, seconds))
        panels = [name for name in logs if not name.startswith("val_")]
        figure, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.2),
                                    squeeze=False)
        for ax, name in zip(axes[0], panels):
            for key, label in [(name, "training"), (f"val_{name}", "validation")]:
                if key in self.history:
                    values = self.history[key]
                    ax.plot(range(epoch - len(values) + 1, epoch + 1), values, "o-", label=label)
            ax.set(title=name, xlabel="epoch", ylabel=name, xlim=(0.5, self.epochs + 0.5))
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend()
        figure.tight_layout()
        clear_output(wait=True)
        display(figure)
        plt.close(figure)
        print("\n".join(self.lines), flush=True)


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
    """Fraction of rows of ``outputs`` ``(N, classes)`` whose largest score is the target."""
    return (outputs.argmax(dim=1) == targets).float().mean()


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
        raise ValueError(
            f"Labels out of range {where}: the batch has labels {shown}, but the model "
            f"has {classes} outputs, so labels must be 0 to {classes - 1}. Give the last "
            f"layer as many outputs as there are classes (here at least "
            f"{max(found) + 1}), or fix the labels (e.g. start them at 0).")


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
    ValueError for an empty loader or labels out of range.
    """
    training = optimizer is not None
    model.train(training)
    totals = {name: 0.0 for name in ["loss", *metrics]}
    seen = 0
    batches = tqdm(loader, desc=bar, leave=False) if bar is not None else loader
    with torch.set_grad_enabled(training):
        for batch, (inputs, targets) in enumerate(batches, start=1):
            inputs = _to(inputs, device, channels_last)
            targets = targets.to(device, non_blocking=True)
            with numerics.autocast():
                outputs = model(inputs)
            if isinstance(outputs, torch.Tensor):
                outputs = outputs.float()  # loss and metrics in float32 (see precision.py)
            _check_labels(loss_fn, outputs, targets, f"{where}, batch {batch}")
            loss = loss_fn(outputs, targets)
            if training and not torch.isfinite(loss):
                raise NonFiniteLoss(float(loss), batch)
            if training:
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
            n = len(inputs)
            seen += n
            totals["loss"] += loss.detach() * n
            with torch.no_grad():
                for name, metric in metrics.items():
                    totals[name] += metric(outputs.detach(), targets) * n
    if seen == 0:
        raise ValueError(
            f"The loader gave no batches {where}. Expected (inputs, targets) batches. If it "
            "is a generator or an iterator, it was used up by an earlier pass: pass a "
            "DataLoader, a labutils.TensorLoader or a list, which can be gone through again.")
    return {name: float(total) / seen for name, total in totals.items()}


# --- fit, evaluate, predict ------------------------------------------------------------------

def _check_fit_arguments(model, train_loader, val_loader, epochs, optimizer, loss_fn,
                         metrics) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"fit expects a torch nn.Module as the model, got "
                        f"{type(model).__name__}. Pass the model first: "
                        "fit(model, train_loader, ...).")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a whole number of at least 1, got {epochs!r}.")
    for name, loader in [("train_loader", train_loader), ("val_loader", val_loader)]:
        if loader is None and name == "val_loader":
            continue
        if isinstance(loader, torch.Tensor) or not isinstance(loader, Iterable):
            raise TypeError(
                f"{name} must give (inputs, targets) batches, e.g. "
                f"labutils.TensorLoader(X, y, batch_size=128); got {type(loader).__name__}.")
    one_shot = [name for name, loader in [("train_loader", train_loader),
                                          ("val_loader", val_loader)]
                if loader is not None and _is_one_shot(loader)]
    if one_shot and (epochs > 1 or "val_loader" in one_shot):
        raise ValueError(
            f"{' and '.join(one_shot)} is an iterator (e.g. a generator), which can be gone "
            f"through only once, but fit needs a new pass every epoch ({epochs} epochs). "
            "Pass a DataLoader, a labutils.TensorLoader or a list of batches instead.")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch optimizer such as "
                        f"torch.optim.Adam(model.parameters()), got {type(optimizer).__name__}.")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, e.g. nn.CrossEntropyLoss(), "
                        f"got {type(loss_fn).__name__}.")
    if metrics is not None and not isinstance(metrics, dict):
        raise TypeError("metrics must be a dict {name: function(outputs, targets)}, "
                        f"got {type(metrics).__name__}.")


def fit(model: nn.Module, train_loader: Iterable, val_loader: Iterable | None = None,
        epochs: int = 5, optimizer: torch.optim.Optimizer | None = None,
        loss_fn: Callable | None = None, metrics: dict[str, Metric] | None = None,
        scheduler=None, channels_last: bool = False, live: bool | None = None,
        verbose: bool = True, mixed_precision: bool = True) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``; return the history.

    Args:
        model: already on the device you want; batches are moved to the model's device.
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

    Returns:
        A dict of lists, one value per epoch: ``loss``, ``val_loss``, each metric and
        ``val_`` + each metric, ``lr`` and ``seconds``. The same dict is ``model.history``,
        updated after every epoch, so it keeps the finished epochs when training stops:

        - the stop button (or Ctrl-C): one line says so, the model is put in eval mode
          and the interrupt goes on, so the cells queued after this one do not run;
        - a loss that becomes nan or inf: a warning names the epoch and the batch, and
          fit returns with the finished epochs (the weights are those of the last good step);
        - any error (labels out of range, an empty loader ...): the model is put in eval
          mode and the error says that ``model.history`` holds the finished epochs.
    """
    _check_fit_arguments(model, train_loader, val_loader, epochs, optimizer, loss_fn, metrics)
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
    model.history = history
    epoch = 1
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
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(logs.get("val_loss", logs["loss"]))
            elif scheduler is not None and not isinstance(scheduler, PER_BATCH_SCHEDULERS):
                scheduler.step()
            seconds = time.perf_counter() - start
            for name, value in {**logs, "lr": lr, "seconds": seconds}.items():
                history.setdefault(name, []).append(value)
            reporter.update(epoch, logs, seconds)
    except NonFiniteLoss as stop:
        model.eval()
        warnings.warn(
            f"The loss became {stop.value} in epoch {epoch}, batch {stop.batch}, so training "
            f"stopped there, before that step. The history holds the {_finished(history)}; "
            "the model keeps the weights of the last good step. Try a smaller learning rate, "
            "or look for nan or inf in the inputs.", RuntimeWarning, stacklevel=2)
    except KeyboardInterrupt:
        model.eval()
        print(f"Training stopped by you after {_finished(history)}: the model is in eval mode "
              "and model.history holds them. Cells queued after this one will not run.",
              flush=True)
        raise
    except Exception as error:
        model.eval()
        error.add_note(f"labutils.fit: training stopped in epoch {epoch}; model.history holds "
                       f"the {_finished(history)} and the model is in eval mode.")
        raise
    return history


def _finished(history: History) -> str:
    count = len(history.get("loss", []))
    return f"{count} finished epoch{'' if count == 1 else 's'}"


def evaluate(model: nn.Module, loader: Iterable, loss_fn: Callable | None = None,
             metrics: dict[str, Metric] | None = None, channels_last: bool | None = None,
             mixed_precision: bool = True) -> dict[str, float]:
    """Mean loss and metrics of ``model`` over ``loader``, in eval mode and without gradients.

    Defaults as in :func:`fit`: cross-entropy loss, plus accuracy for that loss, and the
    same numerics. ``channels_last=None`` follows the model's own memory layout.
    """
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    metrics = _default_metrics(loss_fn) if metrics is None else metrics
    device = _model_device(model)
    if channels_last is None:
        channels_last = _is_channels_last(model)
    return _run_epoch(model, loader, loss_fn, metrics, device,
                      choose_numerics(device, mixed_precision), channels_last=channels_last,
                      where="in evaluate")


@torch.no_grad()
def predict(model: nn.Module, data: torch.Tensor | Iterable, batch_size: int = 512,
            mixed_precision: bool = True) -> torch.Tensor:
    """The model's outputs for every input, in float32, concatenated on the CPU.

    ``data`` is a tensor of inputs ``(N, ...)`` or a loader whose batches start with the
    inputs. Returns a tensor ``(N, ...)``: for a classifier, the logits ``(N, classes)``.
    The model is put in eval mode; the numerics are those of :func:`fit`.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number of at least 1, got {batch_size!r}.")
    model.eval()
    device = _model_device(model)
    numerics = choose_numerics(device, mixed_precision)
    channels_last = _is_channels_last(model)
    if isinstance(data, torch.Tensor):
        batches: Iterable = (data[i:i + batch_size] for i in range(0, len(data), batch_size))
    else:
        batches = (batch[0] if isinstance(batch, (tuple, list)) else batch for batch in data)
    outputs = []
    for x in batches:
        with numerics.autocast():
            outputs.append(model(_to(x, device, channels_last)).float().cpu().contiguous())
    if not outputs:
        raise ValueError("predict got no inputs: the tensor is empty or the loader gave no "
                         "batches (a generator is used up after one pass). Pass inputs "
                         "(N, ...) with N >= 1.")
    return torch.cat(outputs)
