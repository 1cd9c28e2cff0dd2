import pytest
import torch

from labutils import TensorLoader, random_shift


def collect(loader):
    return [tuple(t.clone() for t in batch) for batch in loader]


def test_every_item_once_per_epoch_in_a_new_order():
    X = torch.arange(10).float().unsqueeze(1)
    y = torch.arange(10)
    loader = TensorLoader(X, y, batch_size=4, shuffle=True, seed=0)
    assert len(loader) == 3 and loader.n_samples == 10
    first, second = collect(loader), collect(loader)
    assert [len(b[1]) for b in first] == [4, 4, 2]
    seen = torch.cat([b[1] for b in first])
    assert sorted(seen.tolist()) == list(range(10))
    assert all(torch.equal(b[0].squeeze(1).long(), b[1]) for b in first)  # pairs stay paired
    assert not torch.equal(seen, torch.cat([b[1] for b in second]))


def test_the_same_seed_gives_the_same_order():
    y = torch.arange(50)
    a = collect(TensorLoader(y, batch_size=7, shuffle=True, seed=3))
    b = collect(TensorLoader(y, batch_size=7, shuffle=True, seed=3))
    assert all(torch.equal(p[0], q[0]) for p, q in zip(a, b))


def test_without_shuffle_batches_are_in_order_and_drop_last_works():
    y = torch.arange(10)
    batches = [b[0].tolist() for b in TensorLoader(y, batch_size=4)]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    loader = TensorLoader(y, batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(b[0]) for b in loader] == [4, 4]


def test_transform_is_applied_to_the_inputs_only():
    X, y = torch.zeros(6, 2), torch.arange(6)
    loader = TensorLoader(X, y, batch_size=3, transform=lambda x: x + 1)
    for inputs, targets in loader:
        assert torch.all(inputs == 1)
        assert targets.max() < 6


def test_same_batches_as_a_dataloader_without_shuffling():
    X, y = torch.randn(33, 1, 4, 4), torch.randint(0, 10, (33,))
    ours = collect(TensorLoader(X, y, batch_size=8))
    theirs = list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=8))
    assert len(ours) == len(theirs)
    for (a, b), (c, d) in zip(ours, theirs):
        assert torch.equal(a, c) and torch.equal(b, d)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="different lengths"):
        TensorLoader(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorLoader()
    with pytest.raises(ValueError, match="batch_size = 0.\nExpected: a whole number of at least 1"):
        TensorLoader(torch.zeros(3), batch_size=0)


# random_shift: whole-pixel shifts of each image, nothing else.

def test_random_shift_shape_dtype_and_values_are_kept():
    images = torch.rand(16, 3, 9, 11)
    shifted = random_shift(images, max_shift=2)
    assert shifted.shape == images.shape and shifted.dtype == images.dtype
    assert shifted.is_contiguous()


def test_random_shift_every_image_is_a_shifted_copy_of_itself():
    torch.manual_seed(0)
    images = torch.zeros(40, 2, 8, 8)
    images[:, 0, 3, 4] = 1.0  # one bright pixel per image, in channel 0
    images[:, 1, 3, 4] = 2.0
    shifted = random_shift(images, max_shift=2)
    offsets = set()
    for image in shifted:
        where = (image[0] == 1.0).nonzero().tolist()
        assert len(where) == 1
        (row, col), = where
        assert abs(row - 3) <= 2 and abs(col - 4) <= 2
        assert image[1, row, col] == 2.0  # both channels moved together
        assert image.sum() == 3.0  # nothing else appeared
        offsets.add((row - 3, col - 4))
    assert len(offsets) > 5  # different images get different offsets


def test_random_shift_background_fills_the_border():
    images = torch.full((8, 1, 5, 5), -0.5)
    images[:, :, 2, 2] = 3.0
    shifted = random_shift(images, max_shift=1)
    assert set(shifted.unique().tolist()) == {-0.5, 3.0}


def test_random_shift_zero_shift_is_the_identity():
    images = torch.rand(4, 1, 6, 6)
    assert torch.equal(random_shift(images, max_shift=0), images)


def test_odd_arguments_are_refused_in_three_parts():
    import labutils

    X, y = torch.zeros(4, 1, 3, 3), torch.zeros(4, dtype=torch.long)
    for call, match in [
        (lambda: TensorLoader([1, 2, 3], y), "X = a list of 3 items"),
        (lambda: TensorLoader(X, y, shuffle="yes"), "shuffle"),
        (lambda: TensorLoader(X, y, device="gpu"), "device = 'gpu'"),
        (lambda: TensorLoader(X, y, transform=3), "a function"),
        (lambda: list(TensorLoader(X, y, transform=lambda batch: None)), "returned None"),
        (lambda: random_shift(X[0]), "4 dimensions"),
        (lambda: random_shift(X, max_shift=4), "from 0 to 3"),
        (lambda: random_shift(X > 0), "images of numbers"),
    ]:
        with pytest.raises(labutils.LabutilsError, match=match) as caught:
            call()
        assert "\nExpected: " in str(caught.value) and "\nWhat to do: " in str(caught.value)


def test_a_numpy_array_is_taken_as_a_tensor():
    import numpy as np

    batches = list(TensorLoader(np.zeros((5, 2), dtype=np.float32), np.arange(5), batch_size=2))
    assert [len(x) for x, _ in batches] == [2, 2, 1] and isinstance(batches[0][0], torch.Tensor)
