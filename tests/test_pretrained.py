"""labutils.pretrained: the offline EfficientNet-Lite0 and the optional ResNet-18."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from labutils import pretrained
from labutils.data import IMAGENET_STATS, imagenet_transform, photo
from labutils.pretrained import (
    LITE0_STATS,
    efficientnet_lite0,
    imagenet_categories,
    load_resnet18,
    renormalize,
)


@pytest.fixture(scope="module")
def lite0():
    return efficientnet_lite0()


def as_input(name: str) -> torch.Tensor:
    """A real photo, prepared as EfficientNet-Lite0 expects it: (1, 3, 224, 224)."""
    image = Image.fromarray((photo(name) * 255).round().astype(np.uint8))
    return renormalize(imagenet_transform(224)(image).unsqueeze(0), IMAGENET_STATS, LITE0_STATS)


def test_the_weights_ship_with_a_package():
    path = pretrained.efficientnet_lite0_weights_path()
    assert path.is_file() and path.suffix == ".pth"
    assert path.stat().st_size > 15e6


def test_the_weights_are_read_with_weights_only(monkeypatch):
    calls = []
    real_load = torch.load

    def recording_load(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(pretrained.torch, "load", recording_load)
    efficientnet_lite0()
    assert calls and all(call.get("weights_only") is True for call in calls)


def test_the_pretrained_network_knows_imagenet_classes(lite0):
    categories = imagenet_categories()
    with torch.no_grad():
        cat = lite0(as_input("chelsea"))[0].topk(3).indices.tolist()
        coffee = lite0(as_input("coffee"))[0].argmax().item()
    assert {categories[i] for i in cat} & {"tabby", "tiger cat", "Egyptian cat"}
    assert categories[coffee] == "espresso"


def test_it_accepts_other_resolutions_and_is_in_eval_mode(lite0):
    assert not lite0.training
    with torch.no_grad():
        for size in (96, 128, 225):
            assert lite0(torch.zeros(2, 3, size, size)).shape == (2, 1000)


def test_without_pretrained_weights_the_network_differs(lite0):
    fresh = efficientnet_lite0(pretrained=False)
    assert fresh._fc.out_features == 1000
    assert not torch.equal(fresh._conv_stem.weight, lite0._conv_stem.weight)


def test_imagenet_categories():
    categories = imagenet_categories()
    assert len(categories) == 1000
    assert categories[281] == "tabby" and categories[967] == "espresso"


def test_renormalize_maps_pixels_and_round_trips():
    pixels = torch.rand(2, 3, 5, 5)
    mean = torch.tensor(IMAGENET_STATS[0]).reshape(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STATS[1]).reshape(1, 3, 1, 1)
    imagenet = (pixels - mean) / std
    lite = renormalize(imagenet, IMAGENET_STATS, LITE0_STATS)
    torch.testing.assert_close(lite, (pixels * 255 - 127) / 128)
    torch.testing.assert_close(renormalize(lite, LITE0_STATS, IMAGENET_STATS), imagenet)


def test_resnet18_is_skipped_quickly_without_network(tmp_path, monkeypatch):
    monkeypatch.setattr(pretrained, "why_unreachable", lambda url, timeout: "OSError: no network")
    model, message = load_resnet18(cache_dir=tmp_path)
    assert model is None
    assert message.startswith("Skipped ResNet-18: its ImageNet weights are not cached")
    assert "download.pytorch.org cannot be reached (OSError: no network)" in message
    assert "\n" not in message


def test_resnet18_comes_from_the_cache_when_it_is_there(tmp_path, monkeypatch):
    from torchvision.models import resnet18

    def no_network(url, timeout):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(pretrained, "why_unreachable", no_network)
    saved = resnet18()
    torch.save(saved.state_dict(), tmp_path / "resnet18-f37072fd.pth")
    model, message = load_resnet18(cache_dir=tmp_path)
    assert model is not None and not model.training
    assert torch.equal(model.conv1.weight, saved.conv1.weight)
    assert "local cache" in message


def test_a_damaged_resnet18_file_is_reported(tmp_path):
    (tmp_path / "resnet18-f37072fd.pth").write_bytes(b"not a checkpoint")
    model, message = load_resnet18(cache_dir=tmp_path)
    assert model is None
    assert "could not be read" in message and "delete it" in message
