import pytest
import torch
from torch import nn

import labutils
from labutils.progress import LivePlot, TextReport, make_reporter
from labutils.train import accuracy


def small_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


def test_fit_lowers_the_loss_and_learns_real_digits(mnist_small, capsys):
    X, y, Xt, yt = mnist_small
    labutils.set_seed(0)
    model = small_cnn()
    train = labutils.TensorLoader(X, y, batch_size=64, shuffle=True, seed=0)
    val = labutils.TensorLoader(Xt, yt, batch_size=500)
    before = labutils.evaluate(model, val)
    history = labutils.fit(model, train, val, epochs=3, live=False,
                           optimizer=torch.optim.Adam(model.parameters(), lr=2e-3))
    after = labutils.evaluate(model, val)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    assert all(len(values) == 3 for values in history.values())
    assert history["loss"][-1] < history["loss"][0] * 0.5
    assert after["loss"] < before["loss"] * 0.3
    assert after["accuracy"] > 0.85 and before["accuracy"] < 0.3
    assert after["accuracy"] == pytest.approx(history["val_accuracy"][-1])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3  loss ")


def test_predict_returns_one_row_per_input(mnist_small):
    X, y, _, _ = mnist_small
    model = small_cnn()
    outputs = labutils.predict(model, X[:300], batch_size=128)
    assert outputs.shape == (300, 10)
    from_loader = labutils.predict(model, labutils.TensorLoader(X[:300], y[:300], batch_size=64))
    assert torch.allclose(outputs, from_loader, atol=1e-5)
    assert not model.training


def test_one_cycle_schedule_is_stepped_every_batch_and_plateau_every_epoch():
    X, y = torch.randn(64, 4), torch.randint(0, 2, (64,))
    model = nn.Linear(4, 2)
    loader = labutils.TensorLoader(X, y, batch_size=16)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=4 * 3)
    history = labutils.fit(model, loader, epochs=3, optimizer=optimizer, scheduler=schedule,
                           live=False, progress=False)
    assert schedule.last_epoch == 12  # 4 batches x 3 epochs: stepped after every batch
    assert history["lr"][0] < history["lr"][1]  # the one-cycle warm-up is visible per epoch

    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    labutils.fit(model, loader, epochs=2, optimizer=optimizer, scheduler=plateau,
                 live=False, progress=False)
    assert plateau.last_epoch == 2


def test_regression_losses_get_no_accuracy_and_channels_last_works():
    X = torch.randn(32, 1, 8, 8)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Conv2d(4, 1, 3, padding=1))
    loader = labutils.TensorLoader(X, X, batch_size=8)
    history = labutils.fit(model, loader, epochs=2, loss_fn=nn.MSELoss(), channels_last=True,
                           live=False, progress=False)
    assert "accuracy" not in history and history["loss"][1] < history["loss"][0]
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_stopping_with_ctrl_c_keeps_the_finished_epochs(capsys):
    class StopAfter:
        def __init__(self):
            self.calls = 0

        def __call__(self, outputs, targets):
            self.calls += 1
            if self.calls > 2:
                raise KeyboardInterrupt
            return accuracy(outputs, targets)

    X, y = torch.randn(20, 3), torch.randint(0, 2, (20,))
    loader = labutils.TensorLoader(X, y, batch_size=10)
    history = labutils.fit(nn.Linear(3, 2), loader, epochs=5, metrics={"acc": StopAfter()},
                           live=False, progress=False)
    assert len(history["loss"]) == 1
    assert "stopped by you after 1 finished epochs" in capsys.readouterr().out


def test_accuracy_counts_matching_argmax():
    outputs = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    assert accuracy(outputs, torch.tensor([1, 0, 0, 0])).item() == pytest.approx(0.75)


def test_reporter_is_text_outside_notebooks_and_live_when_asked():
    assert isinstance(make_reporter(3), TextReport)
    assert isinstance(make_reporter(3, live=True), LivePlot)
