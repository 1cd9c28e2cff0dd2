"""Training and evaluation loops: ``fit``, ``evaluate`` and ``predict``.

The loops are written out plainly so that you can read them next to the ones in the
labs: move a batch to the device, forward, loss, backward, step.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable

import torch
from torch import nn
from tqdm.auto import tqdm

from .progress import in_notebook, make_reporter

Metric = Callable[[torch.Tensor, torch.Tensor], torch.Tensor | float]
PER_BATCH_SCHEDULERS = (torch.optim.lr_scheduler.OneCycleLR, torch.optim.lr_scheduler.CyclicLR)


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Fraction of rows of ``outputs`` ``(N, classes)`` whose largest score is the target."""
    return (outputs.argmax(dim=1) == targets).float().mean()


def _default_metrics(loss_fn: nn.Module | Callable) -> dict[str, Metric]:
    return {"accuracy": accuracy} if isinstance(loss_fn, nn.CrossEntropyLoss) else {}


def _model_device(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def _to(x: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    x = x.to(device, non_blocking=True)
    if channels_last and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def _run_epoch(model: nn.Module, loader: Iterable, loss_fn: Callable, metrics: dict[str, Metric],
               device: torch.device, optimizer: torch.optim.Optimizer | None = None,
               scheduler=None, channels_last: bool = False,
               progress: str | None = None) -> dict[str, float]:
    """One pass over ``loader`` (training when an optimizer is given): mean loss, metrics."""
    training = optimizer is not None
    model.train(training)
    totals = {name: 0.0 for name in ["loss", *metrics]}
    seen = 0
    show_bar = progress is not None and (in_notebook() or sys.stderr.isatty())
    batches = tqdm(loader, desc=progress, leave=False) if show_bar else loader
    with torch.set_grad_enabled(training):
        for inputs, targets in batches:
            inputs = _to(inputs, device, channels_last)
            targets = targets.to(device, non_blocking=True)
            outputs = model(inputs)
            loss = loss_fn(outputs, targets)
            if training:
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if isinstance(scheduler, PER_BATCH_SCHEDULERS):
                    scheduler.step()
            n = len(inputs)
            seen += n
            totals["loss"] += loss.detach() * n
            with torch.no_grad():
                for name, metric in metrics.items():
                    totals[name] += metric(outputs.detach(), targets) * n
    return {name: float(total) / max(seen, 1) for name, total in totals.items()}


def fit(model: nn.Module, train_loader: Iterable, val_loader: Iterable | None = None,
        epochs: int = 5, optimizer: torch.optim.Optimizer | None = None,
        loss_fn: Callable | None = None, metrics: dict[str, Metric] | None = None,
        scheduler=None, channels_last: bool = False, live: bool | None = None,
        progress: bool = True) -> dict[str, list[float]]:
    """Train ``model`` for ``epochs`` passes over ``train_loader``; return the history.

    Args:
        model: already on the device you want; batches are moved to the model's device.
        train_loader, val_loader: iterables of ``(inputs, targets)`` batches, e.g. a
            ``DataLoader`` or a :class:`labutils.TensorLoader`. ``val_loader`` is optional.
        optimizer: default ``Adam(model.parameters(), lr=1e-3)``.
        loss_fn: default ``nn.CrossEntropyLoss()``.
        metrics: ``{name: fn(outputs, targets)}``, averaged over items. Default: accuracy
            when the loss is cross-entropy, nothing otherwise.
        scheduler: a learning-rate scheduler. ``OneCycleLR`` and ``CyclicLR`` are stepped
            after every batch, ``ReduceLROnPlateau`` with the validation loss after every
            epoch, any other scheduler after every epoch.
        channels_last: store images as ``(N, H, W, C)`` in memory, which is often faster
            for convolutions on CPUs.
        live: live plot (True), one text line per epoch (False), or choose by whether
            we run in a notebook (None).
        progress: show a progress bar during each epoch (notebooks and terminals only).

    Returns:
        A dict of lists, one value per epoch: ``loss``, ``val_loss``, each metric and
        ``val_`` + each metric, ``lr`` and ``seconds``. Stop early with the notebook's
        stop button (or Ctrl-C): you get the history of the finished epochs.
    """
    device = _model_device(model)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    metrics = _default_metrics(loss_fn) if metrics is None else metrics
    if channels_last:
        model.to(memory_format=torch.channels_last)
    reporter = make_reporter(epochs, live)
    history: dict[str, list[float]] = {}
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            lr = optimizer.param_groups[0]["lr"]
            logs = _run_epoch(model, train_loader, loss_fn, metrics, device, optimizer,
                              scheduler, channels_last,
                              progress=f"epoch {epoch}/{epochs}" if progress else None)
            if val_loader is not None:
                val_logs = _run_epoch(model, val_loader, loss_fn, metrics, device,
                                      channels_last=channels_last)
                logs.update({f"val_{name}": value for name, value in val_logs.items()})
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(logs.get("val_loss", logs["loss"]))
            elif scheduler is not None and not isinstance(scheduler, PER_BATCH_SCHEDULERS):
                scheduler.step()
            seconds = time.perf_counter() - start
            for name, value in {**logs, "lr": lr, "seconds": seconds}.items():
                history.setdefault(name, []).append(value)
            reporter.update(epoch, logs, seconds)
    except KeyboardInterrupt:
        print(f"Training stopped by you after {len(history.get('loss', []))} finished epochs.")
    finally:
        reporter.close()
    return history


def evaluate(model: nn.Module, loader: Iterable, loss_fn: Callable | None = None,
             metrics: dict[str, Metric] | None = None,
             channels_last: bool = False) -> dict[str, float]:
    """Mean loss and metrics of ``model`` over ``loader``, in eval mode and without gradients.

    Defaults as in :func:`fit`: cross-entropy loss, plus accuracy for that loss.
    """
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    metrics = _default_metrics(loss_fn) if metrics is None else metrics
    return _run_epoch(model, loader, loss_fn, metrics, _model_device(model),
                      channels_last=channels_last)


@torch.no_grad()
def predict(model: nn.Module, data: torch.Tensor | Iterable, batch_size: int = 512) -> torch.Tensor:
    """The model's outputs for every input, concatenated on the CPU.

    ``data`` is a tensor of inputs ``(N, ...)`` or a loader whose batches start with the
    inputs. Returns a tensor ``(N, ...)``: for a classifier, the logits ``(N, classes)``.
    """
    model.eval()
    device = _model_device(model)
    if isinstance(data, torch.Tensor):
        batches: Iterable = (data[i:i + batch_size] for i in range(0, len(data), batch_size))
    else:
        batches = (batch[0] if isinstance(batch, (tuple, list)) else batch for batch in data)
    return torch.cat([model(x.to(device)).cpu() for x in batches])
