import matplotlib.pyplot as plt
import pytest
import torch

import labutils
from labutils import plots


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_show_images_draws_one_panel_per_image_with_its_label():
    fig = labutils.show_images(torch.rand(5, 1, 8, 8), labels=list("abcde"), title="Samples",
                               ncols=3)
    assert fig._suptitle.get_text() == "Samples"
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 5 and [ax.get_title() for ax in shown] == list("abcde")
    colour = labutils.show_images(torch.rand(2, 3, 8, 8))
    assert colour.axes[0].images[0].get_array().shape == (8, 8, 3)


def test_denormalize_inverts_normalisation():
    images = torch.rand(2, 3, 4, 4)
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)
    normalised = (images - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
    assert torch.allclose(labutils.denormalize(normalised, mean, std), images, atol=1e-6)


def test_plot_history_labels_every_panel():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6], "accuracy": [0.5, 0.8],
               "val_accuracy": [0.4, 0.7], "lr": [0.1, 0.1], "seconds": [1, 1]}
    fig = labutils.plot_history(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax in fig.axes:
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel()
        assert len(ax.lines) == 2


def test_compare_histories_puts_runs_on_one_axis():
    fig = labutils.compare_histories({"plain": {"loss": [2, 1]}, "residual": {"loss": [2, 0.5]}})
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["plain", "residual"]
    assert ax.get_title() and ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"


def test_confusion_matrix_counts_and_most_confused_pairs():
    cm = labutils.confusion_matrix([0, 0, 1, 1, 2, 2, 2], [0, 1, 1, 1, 2, 1, 1], ["a", "b", "c"])
    assert cm.table["c"]["b"] == 2 and cm.table["a"]["a"] == 1
    assert plots.most_confused(cm, top=2) == [("c", "b", 2), ("a", "b", 1)]
    fig = labutils.plot_confusion_matrix(cm, title="Digits")
    ax = fig.axes[0]
    assert ax.get_title() == "Digits"
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    assert sorted(text.get_text() for text in ax.texts).count("0") == 4


def test_filters():
    fig = labutils.show_filters(torch.randn(6, 3, 5, 5), title="First layer")
    assert fig._suptitle.get_text() == "First layer"
    assert sum(1 for ax in fig.axes if ax.images) == 6


def test_odd_arguments_get_three_part_errors_and_no_images_a_figure():
    import pytest

    import labutils

    images = torch.zeros(2, 1, 4, 4)
    for call, match in [
        (lambda: labutils.show_images("abc"), "a tensor, or a list"),
        (lambda: labutils.show_images(images, labels=["one"]), "one label per image"),
        (lambda: labutils.show_images(images, size=0), "greater than 0"),
        (lambda: labutils.show_images(images, cmap="greyish"), "colour map"),
        (lambda: labutils.show_images(torch.zeros(2, 5, 4, 4)), "1 \\(grey\\) or 3"),
        (lambda: labutils.denormalize(images, (0.5, 0.5), 0.2), "one per channel"),
        (lambda: labutils.denormalize(images, float("nan"), 0.2), "finite"),
        (lambda: labutils.plot_history({"loss": [1.0], "val_loss": [1.0, 2.0]}), "one value"),
        (lambda: labutils.plot_history({}), "nothing to plot"),
        (lambda: labutils.compare_histories({"a": {"loss": [1.0]}}, "val_loss"), "does not"),
        (lambda: labutils.confusion_matrix([0, 1], [1]), "one prediction per true label"),
        (lambda: labutils.confusion_matrix([0, 1], [1, 0], ["cat", "cat"]), "different names"),
        (lambda: labutils.most_confused([[1, 2], [3, 4]]), "confusion matrix"),
        (lambda: labutils.show_filters(torch.zeros(3, 3)), "4 dimensions"),
    ]:
        with pytest.raises(labutils.LabutilsError, match=match) as caught:
            call()
        assert "\nExpected: " in str(caught.value) and "\nWhat to do: " in str(caught.value)
    figure = labutils.show_images(images[:0], title="Mistakes")
    assert figure._suptitle.get_text() == "Mistakes"
