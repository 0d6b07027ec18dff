"""From a data set to batches: the validation split, normalization statistics and the loaders.

Two loaders give the same batches for the same seed: a real DataLoader (any data set, worker
processes), and, when the data is in memory and num_workers is 0, batches cut straight from the
stacked tensors with one gather per batch instead of a per-sample collate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch.utils.data import DataLoader, Dataset, Subset


@dataclass(frozen=True)
class Split:
    train: torch.Tensor  # indices into the data set (int64)
    val: torch.Tensor


def split_indices(count: int, val_split: float, seed: int) -> Split:
    """A reproducible split: the same count, share and seed always give the same indices."""
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    val_count = int(round(count * val_split))
    if val_split > 0 and count > 1:
        val_count = min(max(val_count, 1), count - 1)
    return Split(train=order[val_count:].sort().values, val=order[:val_count].sort().values)


def channel_stats(x: torch.Tensor, chunk: int = 4096) -> tuple[list[float], list[float]]:
    """Per-channel (images) or per-feature (vectors) mean and std over samples x of shape (N, C, ...)."""
    count = 0
    total = torch.zeros(x.shape[1], dtype=torch.float64)
    squares = torch.zeros(x.shape[1], dtype=torch.float64)
    for start in range(0, len(x), chunk):  # in chunks: float64 copies of the whole set would double memory
        part = x[start:start + chunk].to(torch.float64).transpose(0, 1).reshape(x.shape[1], -1)
        total += part.sum(dim=1)
        squares += (part * part).sum(dim=1)
        count += part.shape[1]
    mean = total / count
    std = (squares / count - mean * mean).clamp_min(0).sqrt()
    std = torch.where(std < 1e-6, torch.ones_like(std), std)  # a constant channel is left as it is
    return mean.tolist(), std.tolist()


def stats_from_dataset(dataset: Dataset, indices: torch.Tensor, batch_size: int = 256) -> tuple[list[float], list[float]]:
    """The same statistics for a data set read lazily, one batch at a time."""
    loader = DataLoader(Subset(dataset, indices.tolist()), batch_size=batch_size)
    batches = [x for x, _ in loader]
    return channel_stats(torch.cat(batches)) if batches else ([], [])


class TensorBatches:
    """Batches cut from in-memory tensors, with the shuffling a DataLoader would do.

    A DataLoader first draws its workers' base seed from the generator, then a permutation; this
    does the same, so both give identical batches from identical generator states. The tensors
    can live on the GPU, and then no batch crosses the bus at all.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor | None, batch_size: int, shuffle: bool,
                 generator: torch.Generator | None) -> None:
        self.x, self.y = x, y
        self.batch_size, self.shuffle, self.generator = batch_size, shuffle, generator

    def __len__(self) -> int:
        return (len(self.x) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        count = len(self.x)
        order = None
        if self.generator is not None:  # a DataLoader draws its workers' base seed, shuffling or not
            torch.empty((), dtype=torch.int64).random_(generator=self.generator)
        if self.shuffle:
            order = torch.randperm(count, generator=self.generator).to(self.x.device)
        for start in range(0, count, self.batch_size):
            if order is None:
                x = self.x[start:start + self.batch_size]
                y = None if self.y is None else self.y[start:start + self.batch_size]
            else:
                index = order[start:start + self.batch_size]
                x = self.x[index]
                y = None if self.y is None else self.y[index]
            yield x, (x if y is None else y)
        if self.shuffle:
            # torch's RandomSampler draws one more (empty) permutation as it runs out; so do we,
            # so that the generator moves on exactly as a DataLoader's does, epoch after epoch.
            torch.randperm(count, generator=self.generator)


def data_loader(dataset: Dataset, indices: torch.Tensor, batch_size: int, shuffle: bool, num_workers: int,
                generator: torch.Generator | None, pin_memory: bool = False,
                multiprocessing_context: str | None = None) -> DataLoader:
    """A standard DataLoader over the split's samples.

    `multiprocessing_context` lets a GUI start workers with spawn or forkserver: forking a process
    that runs Qt threads is not safe.
    """
    return DataLoader(
        Subset(dataset, indices.tolist()), batch_size=batch_size, shuffle=shuffle, num_workers=num_workers,
        generator=generator, pin_memory=pin_memory,
        multiprocessing_context=multiprocessing_context if num_workers > 0 else None,
        persistent_workers=False,
    )
