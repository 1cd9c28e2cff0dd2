import warnings

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import labutils
from labutils import train
from labutils.precision import Numerics
from labutils.train import LivePlot, TextReport, accuracy, make_reporter


def small_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


def tiny_loader(n: int = 20, classes: int = 2, batch_size: int = 10) -> labutils.TensorLoader:
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(n, 3, generator=generator)
    return labutils.TensorLoader(X, torch.randint(0, classes, (n,), generator=generator),
                                 batch_size=batch_size)


def test_fit_lowers_the_loss_and_learns_real_digits(mnist_small, capsys):
    X, y, Xt, yt = mnist_small
    labutils.set_seed(0)
    model = small_cnn()
    train_loader = labutils.TensorLoader(X, y, batch_size=64, shuffle=True, seed=0)
    val = labutils.TensorLoader(Xt, yt, batch_size=500)
    before = labutils.evaluate(model, val)
    history = labutils.fit(model, train_loader, val, epochs=3, live=False,
                           optimizer=torch.optim.Adam(model.parameters(), lr=2e-3))
    after = labutils.evaluate(model, val)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    assert all(len(values) == 3 for values in history.values())
    assert history["loss"][-1] < history["loss"][0] * 0.5
    assert after["loss"] < before["loss"] * 0.3
    assert after["accuracy"] > 0.85 and before["accuracy"] < 0.3
    assert after["accuracy"] == pytest.approx(history["val_accuracy"][-1])
    assert model.history is history
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith("Numerics: ")
    assert lines[1].startswith("epoch 1/3  loss ")


def test_verbose_false_prints_nothing_and_float32_is_announced(capsys):
    labutils.fit(nn.Linear(3, 2), tiny_loader(), epochs=2, live=False, verbose=False)
    assert capsys.readouterr().out == ""
    labutils.fit(nn.Linear(3, 2), tiny_loader(), epochs=1, live=False, mixed_precision=False)
    assert capsys.readouterr().out.splitlines()[0] == "Numerics: float32 (mixed_precision=False)."


def test_predict_returns_one_float32_row_per_input(mnist_small):
    X, y, _, _ = mnist_small
    model = small_cnn()
    outputs = labutils.predict(model, X[:300], batch_size=128)
    assert outputs.shape == (300, 10) and outputs.dtype == torch.float32
    from_loader = labutils.predict(model, labutils.TensorLoader(X[:300], y[:300], batch_size=64))
    assert torch.allclose(outputs, from_loader, atol=1e-5)
    assert not model.training
    exact = labutils.predict(model, X[:300], mixed_precision=False)
    assert (outputs.argmax(1) == exact.argmax(1)).float().mean() > 0.95
    with pytest.raises(ValueError, match="predict got no inputs"):
        labutils.predict(model, X[:0])


def test_one_cycle_schedule_is_stepped_every_batch_and_plateau_every_epoch():
    X, y = torch.randn(64, 4), torch.randint(0, 2, (64,))
    model = nn.Linear(4, 2)
    loader = labutils.TensorLoader(X, y, batch_size=16)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=4 * 3)
    history = labutils.fit(model, loader, epochs=3, optimizer=optimizer, scheduler=schedule,
                           verbose=False)
    assert schedule.last_epoch == 12  # 4 batches x 3 epochs: stepped after every batch
    assert history["lr"][0] < history["lr"][1]  # the one-cycle warm-up is visible per epoch

    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    labutils.fit(model, loader, epochs=2, optimizer=optimizer, scheduler=plateau, verbose=False)
    assert plateau.last_epoch == 2


def test_regression_losses_get_no_accuracy_and_channels_last_works():
    X = torch.randn(32, 1, 8, 8)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Conv2d(4, 1, 3, padding=1))
    loader = labutils.TensorLoader(X, X, batch_size=8)
    history = labutils.fit(model, loader, epochs=2, loss_fn=nn.MSELoss(), channels_last=True,
                           verbose=False)
    assert "accuracy" not in history and history["loss"][1] < history["loss"][0]
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
    outputs = labutils.predict(model, X)  # follows the model's layout, returns a plain one
    assert outputs.is_contiguous() and outputs.shape == X.shape


class RaiseOnCall:
    """A metric that raises ``error`` on its ``after + 1``-th call (batches of 10 items)."""

    def __init__(self, error: BaseException, after: int):
        self.error, self.after, self.calls = error, after, 0

    def __call__(self, outputs, targets):
        self.calls += 1
        if self.calls > self.after:
            raise self.error
        return accuracy(outputs, targets)


def test_the_stop_button_keeps_the_history_restores_eval_mode_and_goes_on(capsys):
    model = nn.Linear(3, 2)
    with pytest.raises(KeyboardInterrupt):
        labutils.fit(model, tiny_loader(), epochs=5, live=False, verbose=False,
                     metrics={"acc": RaiseOnCall(KeyboardInterrupt(), after=2)})
    assert len(model.history["loss"]) == 1 and not model.training
    out = capsys.readouterr().out
    assert "stopped by you after 1 finished epoch:" in out and "will not run" in out


def test_while_grading_an_interrupt_is_the_graders_time_limit(capsys, monkeypatch):
    monkeypatch.setenv("LABUTILS_GRADING", "1")  # as in the grading sandbox
    with pytest.raises(KeyboardInterrupt):
        labutils.fit(nn.Linear(3, 2), tiny_loader(), epochs=5, live=False, verbose=False,
                     metrics={"acc": RaiseOnCall(KeyboardInterrupt(), after=2)})
    out = capsys.readouterr().out
    assert "stopped by the grader's time limit for one cell after 1 finished epoch:" in out
    assert "by you" not in out


def test_any_error_keeps_the_history_and_says_where():
    model = nn.Linear(3, 2)
    with pytest.raises(ZeroDivisionError) as caught:
        labutils.fit(model, tiny_loader(), epochs=5, verbose=False,
                     metrics={"acc": RaiseOnCall(ZeroDivisionError("oops"), after=4)})
    assert len(model.history["loss"]) == 2 and not model.training
    assert "model.history holds the 2 finished epochs" in "\n".join(caught.value.__notes__)


def test_a_nan_loss_warns_once_names_the_batch_and_keeps_good_weights():
    class GoesWrong(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear, self.calls = nn.Linear(3, 2), 0

        def forward(self, x):
            self.calls += 1
            out = self.linear(x)
            return out * float("nan") if self.calls == 4 else out  # epoch 2, batch 2

    model = GoesWrong()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = labutils.fit(model, tiny_loader(), epochs=5, verbose=False)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1
    assert "became nan in epoch 2, batch 2" in messages[0] and "1 finished epoch;" in messages[0]
    assert len(history["loss"]) == 1 and model.history is history
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_empty_and_used_up_loaders_are_refused_clearly():
    model = nn.Linear(3, 2)
    empty = labutils.TensorLoader(torch.randn(0, 3), torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError, match=r"gave no batches in epoch 1 \(training\)"):
        labutils.fit(model, empty, epochs=1, verbose=False)
    batches = [(torch.randn(4, 3), torch.randint(0, 2, (4,))) for _ in range(3)]
    with pytest.raises(ValueError, match="iterator.*only once.*3 epochs"):
        labutils.fit(model, iter(batches), epochs=3, verbose=False)
    used_up = iter(batches)
    list(used_up)
    with pytest.raises(ValueError, match="generator or an iterator, it was used up"):
        labutils.fit(model, used_up, epochs=1, verbose=False)
    with pytest.raises(ValueError, match="gave no batches in evaluate"):
        labutils.evaluate(model, empty)


def test_labels_out_of_range_get_a_friendly_message_and_keep_the_history():
    class BadSecondPass:
        def __init__(self):
            self.passes = 0

        def __iter__(self):
            self.passes += 1
            labels = torch.tensor([0, 1, 2, 10]) if self.passes > 1 else torch.tensor([0, 1, 2, 3])
            yield torch.randn(4, 3), labels

    model = nn.Linear(3, 10)
    with pytest.raises(ValueError) as caught:
        labutils.fit(model, BadSecondPass(), epochs=3, verbose=False)
    message = str(caught.value)
    assert "in epoch 2 (training), batch 1" in message
    assert "labels 0, 1, 2, 10" in message and "has 10 outputs" in message
    assert "at least 11" in message
    assert len(model.history["loss"]) == 1 and not model.training


@pytest.mark.parametrize("arguments, match", [
    ({"epochs": 0}, "epochs = 0.\nExpected: a whole number from 1 to 10000"),
    ({"epochs": 10**9}, "from 1 to 10000"),
    ({"epochs": 2.5}, "whole number"),
    ({"epochs": "3"}, "whole number"),
    ({"optimizer": "adam"}, "torch optimizer"),
    ({"optimizer": torch.optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1)},
     "none of this model's parameters"),
    ({"loss_fn": "cross-entropy"}, "loss_fn = 'cross-entropy'.\nExpected: a function"),
    ({"metrics": [accuracy]}, "a dict {name: function"),
    ({"channels_last": "yes"}, "True or False"),
])
def test_impossible_arguments_are_refused(arguments, match):
    with pytest.raises(labutils.LabutilsError, match=match) as caught:
        labutils.fit(nn.Linear(3, 2), tiny_loader(), verbose=False, **arguments)
    assert isinstance(caught.value, (ValueError, TypeError))
    assert "\nWhat to do: " in str(caught.value)


def test_a_wrong_model_or_loader_is_refused():
    with pytest.raises(TypeError, match="Expected: a torch model"):
        labutils.fit(tiny_loader(), nn.Linear(3, 2))
    with pytest.raises(TypeError, match="train_loader = a float32 tensor"):
        labutils.fit(nn.Linear(3, 2), torch.randn(10, 3))


def test_float64_inputs_under_mixed_precision_name_the_inputs_and_the_fix():
    inputs = torch.randn(8, 3, dtype=torch.float64)
    loader = labutils.TensorLoader(inputs, torch.randint(0, 2, (8,)), batch_size=4)
    with pytest.raises(labutils.LabutilsError, match=r"float64 tensor of shape \(4, 3\)") as caught:
        labutils.fit(nn.Linear(3, 2), loader, epochs=1, verbose=False)
    assert "X = X.float()" in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)  # torch's own words are kept


def test_targets_the_loss_cannot_take_are_explained():
    loader = labutils.TensorLoader(torch.randn(8, 3), torch.rand(8), batch_size=4)
    with pytest.raises(labutils.LabutilsError, match="The loss CrossEntropyLoss") as caught:
        labutils.evaluate(nn.Linear(3, 2), loader)
    assert "y.long()" in str(caught.value)


def test_batches_that_are_not_inputs_and_targets_are_refused():
    with pytest.raises(labutils.LabutilsError, match="a float32 tensor of shape .* as a batch"):
        labutils.evaluate(nn.Linear(3, 2), [torch.randn(4, 3)])
    three = [(torch.randn(4, 3), torch.zeros(4, dtype=torch.long), torch.ones(4))]
    with pytest.raises(labutils.LabutilsError, match="ignore the rest"):
        labutils.evaluate(nn.Linear(3, 2), three)


def test_fit_leaves_eval_mode_and_evaluate_gives_every_mode_back():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    labutils.fit(model, tiny_loader(), epochs=1, verbose=False)
    assert not any(module.training for module in model.modules())
    model.train()
    model[1].eval()  # a part frozen by hand stays as it was
    labutils.evaluate(model, tiny_loader())
    assert [module.training for module in model.modules()] == [True, True, False, True]
    assert torch.is_grad_enabled()


def test_accuracy_refuses_what_it_cannot_compare():
    scores = torch.tensor([[0.1, 0.9], [0.8, 0.2]])
    assert float(accuracy(scores, torch.tensor([1, 1]))) == 0.5
    with pytest.raises(labutils.LabutilsError, match=r"targets.long\(\)"):
        accuracy(scores, torch.tensor([1.0, 0.0]))
    with pytest.raises(labutils.LabutilsError, match="2 rows of outputs but 3 targets"):
        accuracy(scores, torch.tensor([1, 0, 1]))
    with pytest.raises(labutils.LabutilsError, match="at least one item"):
        accuracy(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))


def test_autocast_runs_the_model_and_float32_the_loss(monkeypatch):
    seen = {}
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))

    def record(module, inputs, output):
        seen.setdefault("layer", output.dtype)

    model[0].register_forward_hook(record)

    def loss_fn(outputs, targets):
        seen.setdefault("loss input", outputs.dtype)
        return nn.functional.cross_entropy(outputs, targets)

    monkeypatch.setattr(train, "choose_numerics",
                        lambda device, mixed=True: Numerics("cpu", torch.bfloat16, False, "test"))
    labutils.fit(model, tiny_loader(), epochs=1, loss_fn=loss_fn, verbose=False)
    assert seen == {"layer": torch.bfloat16, "loss input": torch.float32}
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_float16_with_gradient_scaling_trains(monkeypatch):
    """The CUDA float16 path (autocast + GradScaler), run on the CPU."""
    numerics = Numerics("cpu", torch.float16, True, "test")
    scalers = []
    original = Numerics.grad_scaler

    def spy(self):
        scalers.append(original(self))
        return scalers[-1]

    monkeypatch.setattr(Numerics, "grad_scaler", spy)
    monkeypatch.setattr(train, "choose_numerics", lambda device, mixed=True: numerics)
    labutils.set_seed(0)
    X = torch.randn(256, 4)
    y = (X[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    history = labutils.fit(model, labutils.TensorLoader(X, y, batch_size=32), epochs=6,
                           optimizer=torch.optim.Adam(model.parameters(), lr=1e-2), verbose=False)
    assert len(scalers) == 1 and scalers[0].get_scale() > 1
    assert history["loss"][-1] < history["loss"][0] * 0.5 and history["accuracy"][-1] > 0.9


def test_accuracy_counts_matching_argmax():
    outputs = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    assert accuracy(outputs, torch.tensor([1, 0, 0, 0])).item() == pytest.approx(0.75)


def test_reporter_is_text_outside_notebooks_and_live_when_asked(capsys):
    assert isinstance(make_reporter(3, "Numerics: test."), TextReport)
    assert capsys.readouterr().out == "Numerics: test.\n"
    assert isinstance(make_reporter(3, "Numerics: test.", live=True), LivePlot)


def test_the_live_plot_shows_the_first_epoch_on_whole_number_ticks(monkeypatch, capsys):
    import IPython.display
    import livelossplot.outputs.matplotlib_plot as livelossplot_output

    shown, cleared = [], []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    monkeypatch.setattr(livelossplot_output, "clear_output",
                        lambda wait=False: cleared.append(wait))
    plot = LivePlot(4, "Numerics: test.")
    plot.update(1, {"loss": 0.9, "accuracy": 0.6, "val_loss": 1.0, "val_accuracy": 0.5}, 1.0)
    figure = shown[-1]
    assert cleared == [True]  # livelossplot's output draws it, in place of the last one
    assert [ax.get_title() for ax in figure.axes] == ["accuracy", "loss"]  # by name
    for ax in figure.axes:
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == ["training", "validation"]
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == ax.get_title()
        assert len(lines) == 2 and all(len(line.get_xdata()) == 1 for line in lines)
        assert all(line.get_marker() == "o" for line in lines)
        assert ax.get_xlim() == (0.5, 4.5)
        ticks = [t for t in ax.get_xticks() if 0.5 <= t <= 4.5]
        assert ticks == [1, 2, 3, 4]
    plot.update(2, {"loss": 0.5, "accuracy": 0.8, "val_loss": 0.7, "val_accuracy": 0.7}, 1.0)
    assert list(shown[-1].axes[1].get_lines()[0].get_xdata()) == [1, 2]
    assert list(shown[-1].axes[1].get_lines()[0].get_ydata()) == [0.9, 0.5]
    assert not plt.fignum_exists(figure.number)  # each figure is closed once shown
    out = capsys.readouterr().out
    assert out.count("Numerics: test.") == 2 and "epoch 2/4  loss 0.5" in out
    plt.close("all")
