"""as_tensors: the vectorised path must give what the item-by-item transform gives."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import Dataset, Subset
from torchvision import transforms

from labutils.data import ToNormalizedTensor, as_tensors


class TinyIdx(Dataset):
    """Laid out like torchvision's MNIST: uint8 ``data`` (N, H, W), ``targets``, ``transform``."""

    def __init__(self, transform):
        generator = torch.Generator().manual_seed(0)
        self.data = torch.randint(0, 256, (12, 5, 5), dtype=torch.uint8, generator=generator)
        self.targets = torch.arange(12) % 10
        self.transform = transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image = Image.fromarray(self.data[index].numpy(), mode="L")
        return self.transform(image), int(self.targets[index])


def item_by_item(dataset):
    images, labels = zip(*(dataset[i] for i in range(len(dataset))))
    return torch.stack(images), torch.as_tensor(labels)


@pytest.mark.parametrize("transform", [transforms.ToTensor(), ToNormalizedTensor(0.13, 0.31)],
                         ids=["ToTensor", "ToNormalizedTensor"])
@pytest.mark.parametrize("subset", [False, True], ids=["whole", "subset"])
def test_fast_path_matches_the_transform(transform, subset):
    dataset = TinyIdx(transform)
    if subset:
        dataset = Subset(dataset, [7, 2, 9, 0])
    images, labels = as_tensors(dataset)
    expected_images, expected_labels = item_by_item(dataset)
    assert images.shape == expected_images.shape
    assert np.allclose(images.numpy(), expected_images.numpy(), atol=1e-6)
    assert torch.equal(labels, expected_labels)
    assert labels.dtype == torch.long
