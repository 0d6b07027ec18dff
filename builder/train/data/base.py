"""What every data source takes and gives back. The readers live in their own modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

Shape = tuple[int, ...]

TASKS = ("classification", "reconstruction", "regression")

# Data held in memory up to this many bytes (as float32) is loaded whole into tensors, so
# batches can be cut from them directly; beyond it, sources that can read lazily do so.
IN_MEMORY_LIMIT = 2 * 1024**3


class DataError(Exception):
    """Data that cannot be used. The message names the file (and the record or line) and what is wrong."""


@dataclass(frozen=True)
class SourceRequest:
    spec: dict[str, Any]  # the project's `data.source` object, e.g. {"kind": "npz", "path": "d.npz"}
    input_shape: Shape  # one sample as the model's Input takes it, without the batch
    output_shape: Shape  # what the model's Output gives per sample (regression targets must match it)
    task: str  # one of TASKS
    folder: Path  # the project file's folder: relative paths resolve against it
    seed: int = 0
    in_memory: bool | None = None  # None: decide by size (IN_MEMORY_LIMIT); True/False: forced
    skip_unreadable: bool = False  # leave out files that cannot be read (with a warning) rather than refuse
    cache_folder: Path | None = None  # where decoded images may be kept for the next run; None: beside the data

    def path(self, key: str) -> Path:
        """A path-valued key of the spec, resolved against the project folder."""
        return (self.folder / Path(str(self.spec[key]))).resolve()


def show_path(path: Path, root: Path, folder: bool = False) -> str:
    """A path as the person wrote it: relative to the project folder when it is inside it."""
    try:
        text = path.relative_to(root.resolve()).as_posix()
    except ValueError:
        text = path.as_posix()
    return text + "/" if folder and not text.endswith("/") else text


@dataclass
class LoadedData:
    """A source's data.

    `dataset[i]` gives `(x, y)`: x a float32 tensor of `input_shape`; y an int64 scalar tensor
    (classification), a float32 tensor (regression), or x itself (reconstruction).
    `tensors`, when the whole set is in memory, holds the same data stacked: x of shape
    (N, *input_shape) float32 and y of shape (N,) int64 or (N, *target) float32 (None for
    reconstruction), so batches can be cut without a per-sample collate.
    """

    dataset: Dataset | None  # None: made from `tensors`
    tensors: tuple[torch.Tensor, torch.Tensor | None] | None
    classes: list[str] | None = None  # class names, index = label (classification only)
    description: str = ""  # one line for people: "shapes: 2,000 synthetic 1×28×28 images, 4 classes"
    files: list[Path] = field(default_factory=list)  # what was read, for messages and previews
    warnings: list[str] = field(default_factory=list)  # worth knowing before training (files left out, say)

    def __post_init__(self) -> None:
        if self.dataset is None:
            if self.tensors is None:
                raise ValueError("LoadedData needs a dataset or tensors")
            self.dataset = TensorPairDataset(*self.tensors)


class TensorPairDataset(Dataset):
    """(x, y) pairs from two stacked tensors; y None means reconstruction (the target is x)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor | None) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.x[index]
        return x, (x if self.y is None else self.y[index])

