"""Splits, normalization statistics, and the two loaders giving the same batches for the same seed."""

import torch

from builder.train.batches import TensorBatches, channel_stats, data_loader, split_indices
from builder.train.data.base import TensorPairDataset


def test_split_is_reproducible_disjoint_and_complete():
    a, b = split_indices(100, 0.2, seed=3), split_indices(100, 0.2, seed=3)
    assert torch.equal(a.train, b.train) and torch.equal(a.val, b.val)
    assert len(a.val) == 20 and len(a.train) == 80
    assert sorted(torch.cat([a.train, a.val]).tolist()) == list(range(100))
    assert not torch.equal(split_indices(100, 0.2, seed=4).val, a.val)
    assert len(split_indices(3, 0.01, 0).val) == 1  # a split asked for is never empty
    assert len(split_indices(10, 0.0, 0).val) == 0


def test_channel_stats_are_per_channel_and_leave_constant_channels_alone():
    x = torch.stack([torch.full((2, 2), 3.0), torch.arange(4.0).reshape(2, 2)]).unsqueeze(0).repeat(5, 1, 1, 1)
    mean, std = channel_stats(x)
    assert mean == [3.0, 1.5]
    assert std[0] == 1.0 and abs(std[1] - 1.25**0.5) < 1e-9  # population std of 0, 1, 2, 3


def test_tensor_batches_equal_a_dataloader_for_the_same_seed():
    x = torch.randn(103, 3)
    y = torch.arange(103)
    indices = torch.arange(103)
    for shuffle in (True, False):
        fast = TensorBatches(x, y, 16, shuffle, torch.Generator().manual_seed(7))
        loader = data_loader(TensorPairDataset(x, y), indices, 16, shuffle, 0, torch.Generator().manual_seed(7))
        for epoch in range(2):  # the generator carries over between epochs the same way
            ours = list(fast)
            theirs = list(loader)
            assert len(ours) == len(theirs) == len(fast) == 7
            for (xa, ya), (xb, yb) in zip(ours, theirs, strict=True):
                assert torch.equal(xa, xb) and torch.equal(ya, yb), (shuffle, epoch)


def test_reconstruction_batches_give_the_input_as_target():
    x = torch.randn(10, 2)
    (bx, by), = list(TensorBatches(x, None, 10, False, None))
    assert by is bx
