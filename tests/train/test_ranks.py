"""How a multi-process run shares out the data: every sample each epoch, equal shares, the same order in
every process (no process group needed: the shares are plain functions of rank, world and seed)."""

import torch
from projects import shapes_project

from builder.train.ranks import Share, SharedTensorBatches, shard_loaders
from builder.train.setup import prepare


def shares(count, world, shuffle=True, seed=0):
    """Each rank's share of one epoch, each drawn from its own generator seeded alike (as each process does)."""
    return [list(Share(count, rank, world, shuffle, torch.Generator().manual_seed(seed))) for rank in range(world)]


def test_the_shares_cover_every_sample_once_and_are_equal_in_size():
    for count, world in [(10, 2), (11, 2), (7, 3), (2, 4)]:
        parts = shares(count, world)
        assert len({len(p) for p in parts}) == 1  # every process takes as many steps
        taken = [i for p in parts for i in p]
        assert set(taken) == set(range(count))
        assert 0 <= len(taken) - count < world  # repeats only to pad the shares to equal sizes


def test_no_sample_is_in_two_shares_when_they_divide_evenly():
    parts = shares(12, 3)
    assert sorted(i for p in parts for i in p) == list(range(12))


def test_the_order_changes_each_epoch_and_follows_the_seed():
    generator = torch.Generator().manual_seed(5)
    share = Share(20, 0, 2, True, generator)
    first, second = list(share), list(share)
    assert first != second
    assert list(Share(20, 0, 2, True, torch.Generator().manual_seed(5))) == first
    assert list(Share(20, 0, 2, False, torch.Generator())) == list(range(0, 20, 2))


def test_batches_of_a_share_are_cut_from_the_tensors():
    x = torch.arange(10).float().unsqueeze(1)
    y = torch.arange(10) * 10
    batches = SharedTensorBatches(x, y, 2, Share(10, 1, 2, False, torch.Generator()))
    assert len(batches) == 3
    got = list(batches)
    assert [b[0].squeeze(1).tolist() for b in got] == [[1.0, 3.0], [5.0, 7.0], [9.0]]
    assert [b[1].tolist() for b in got] == [[10, 30], [50, 70], [90]]


def test_the_loaders_of_two_ranks_take_the_whole_training_and_validation_splits():
    run = prepare(shapes_project(samples=90, data={"batch_size": 8}))
    seen_train, seen_val, lengths = [], [], set()
    for rank in range(2):
        train, val = shard_loaders(run, torch.Generator().manual_seed(0), rank, 2)
        lengths.add(len(train))
        seen_train += [x for batch, _ in train for x in batch]
        seen_val += [x for batch, _ in val for x in batch]
    x = run.data.tensors[0]
    assert len(lengths) == 1
    assert len(seen_val) == len(run.split.val)  # validation is not padded: its sums are added up after
    assert {tuple(v.flatten().tolist()) for v in seen_val} == {tuple(v.flatten().tolist()) for v in x[run.split.val]}
    assert {tuple(v.flatten().tolist()) for v in seen_train} == {tuple(v.flatten().tolist())
                                                                 for v in x[run.split.train]}
