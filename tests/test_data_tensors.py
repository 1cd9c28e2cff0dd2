"""labutils.data.tensors: the one way a data set becomes ``(X, y)``, and the unit floats."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset, Subset

import labutils
from labutils.data import ImageTensors, as_tensors, to_unit_floats


def tiny_images(n: int = 12) -> ImageTensors:
    generator = torch.Generator().manual_seed(0)
    return ImageTensors(torch.rand(n, 1, 5, 5, generator=generator), torch.arange(n) % 10,
                        [str(k) for k in range(10)])


class SquaresFromFiles(Dataset):
    """A data set that makes each item in ``__getitem__``, as photos read from files do."""

    def __len__(self):
        return 7

    def __getitem__(self, index):
        return torch.full((3, 4, 4), float(index)), index % 2


def test_image_tensors_whole_and_split_give_their_rows():
    dataset = tiny_images()
    X, y = as_tensors(dataset)
    assert X.shape == (12, 1, 5, 5) and y.dtype == torch.long
    assert torch.equal(X, dataset.images) and torch.equal(y, dataset.labels)
    part = Subset(dataset, [7, 2, 9])
    Xs, ys = as_tensors(part)
    assert torch.equal(Xs, dataset.images[[7, 2, 9]]) and ys.tolist() == [7, 2, 9]
    # New tensors: changing them leaves the data set alone.
    X += 1
    Xs += 1
    assert torch.equal(as_tensors(dataset)[0], dataset.images) and dataset.images.max() < 1


def test_other_data_sets_are_read_item_by_item():
    X, y = as_tensors(SquaresFromFiles(), batch_size=3)
    assert X.shape == (7, 3, 4, 4) and y.dtype == torch.long
    assert X[:, 0, 0, 0].tolist() == list(range(7)) and y.tolist() == [0, 1, 0, 1, 0, 1, 0]
    X_part, _ = as_tensors(Subset(SquaresFromFiles(), [5, 1]))
    assert X_part[:, 0, 0, 0].tolist() == [5, 1]


def test_an_empty_data_set_is_explained():
    with pytest.raises(ValueError, match="empty data set"):
        as_tensors(Subset(SquaresFromFiles(), []))


def test_image_tensors_need_one_label_per_image():
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        ImageTensors(torch.zeros(3, 1, 2, 2), torch.zeros(2))


def test_unit_floats_accept_every_layout_the_labs_have():
    pixels = torch.randint(0, 256, (4, 6, 6), dtype=torch.uint8)
    expected = pixels.float() / 255
    for layout in (pixels, pixels.numpy(), expected, expected.unsqueeze(1), expected.numpy()):
        torch.testing.assert_close(to_unit_floats(layout), expected)
    with pytest.raises(ValueError, match=r"\(N, H, W\) or \(N, 1, H, W\)"):
        to_unit_floats(torch.zeros(2, 3, 6, 6))
    with pytest.raises(ValueError, match="normalize=False"):
        to_unit_floats(np.full((1, 6, 6), -0.4, dtype=np.float32))


def test_train_val_split_is_reproducible_and_disjoint():
    dataset = torch.utils.data.TensorDataset(torch.arange(100))
    train, val = labutils.train_val_split(dataset, 0.2, seed=1)
    again, _ = labutils.train_val_split(dataset, 0.2, seed=1)
    assert (len(train), len(val)) == (80, 20)
    assert list(train.indices) == list(again.indices)
    assert not set(train.indices) & set(val.indices)
    _, other = labutils.train_val_split(dataset, 0.2, seed=2)
    assert list(other.indices) != list(val.indices)
    assert len(labutils.train_val_split(dataset, 30)[1]) == 30


def test_train_val_split_rejects_an_impossible_size():
    dataset = torch.utils.data.TensorDataset(torch.arange(10))
    with pytest.raises(ValueError, match="leaves 0 of 10 items for training"):
        labutils.train_val_split(dataset, 10)


def test_mean_std_of_known_values():
    mean, std = labutils.mean_std(torch.tensor([0.0, 2.0, 4.0]))
    assert mean == pytest.approx(2.0) and std == pytest.approx(2.0)


def test_odd_arguments_of_the_data_functions_are_explained():
    import math

    import labutils
    from labutils.data import ImageTensors

    data = ImageTensors(torch.zeros(10, 1, 2, 2), torch.zeros(10, dtype=torch.long))
    for call, match in [
        (lambda: labutils.train_val_split(data, val_size=math.inf), "leaves 10 of 10"),
        (lambda: labutils.train_val_split(data, val_size="10%"), "a fraction between 0 and 1"),
        (lambda: labutils.train_val_split([1], val_size=0.5), "at least 2 items"),
        (lambda: labutils.mean_std(torch.tensor([1.0, math.nan])), "NaN or inf"),
        (lambda: labutils.mean_std(torch.ones(1)), "at least 2 numbers"),
        (lambda: labutils.as_tensors([(torch.zeros(2), 1), (torch.zeros(3), 2)]), "same shape"),
        (lambda: labutils.as_tensors(data, batch_size=0), "batch_size = 0"),
        (lambda: labutils.make_mnist_m(torch.zeros(2, 28, 28), seed=-1), "seed = -1"),
        (lambda: labutils.make_segmentation_set(torch.zeros(0, 28, 28)), "no glyphs"),
        (lambda: labutils.describe_digits("3, 7"), "a tensor"),
        (lambda: labutils.photo("download_all"), "No photo called"),
    ]:
        with pytest.raises(labutils.LabutilsError, match=match) as caught:
            call()
        assert "\nExpected: " in str(caught.value) and "\nWhat to do: " in str(caught.value)
