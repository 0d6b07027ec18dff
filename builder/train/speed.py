"""The engine's speed settings, applied the same way by the exported train.py (script.py writes the choice).

Each was measured on its own by bench/train_bench.py; only what won on a 10-epoch CPU run is on by default:
- channels_last: images and 2-D convolution weights in NHWC order, where oneDNN (CPU) and cuDNN (tensor
  cores) have their fast kernels; max-pooling in NCHW is the slowest step of a small CNN on the CPU;
- threads: torch.set_num_threads for the run, then put back (the window trains more than once);
- compile: torch.compile of the model the steps call, opt-in: compiling takes seconds to minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn as nn

IMAGE_LAYERS = (nn.Conv2d, nn.ConvTranspose2d)


def takes_images(model: nn.Module, sample_shape: tuple[int, ...]) -> bool:
    """Whether a model gains from channels_last: it takes (C, H, W) samples into 2-D convolutions. Others
    (vectors, sequences, volumes, an MLP over pixels) have nothing to gain from it."""
    return len(sample_shape) == 3 and any(isinstance(m, IMAGE_LAYERS) for m in model.modules())


def image_model(run: Any) -> bool:
    """takes_images for a run's model, built on the meta device: no memory, no draw from the random state."""
    with torch.device("meta"):
        model = run.model_class()
    return takes_images(model, _sample_shape(run))


def run_format(run: Any, model: nn.Module) -> torch.memory_format:
    """The memory order of a run's model and input batches: channels_last where the settings ask for it and
    the model takes images."""
    wanted = run.settings.training.channels_last and takes_images(model, _sample_shape(run))
    return torch.channels_last if wanted else torch.contiguous_format


def _sample_shape(run: Any) -> tuple[int, ...]:
    return tuple(run.report.infos[run.report.inputs[0]].shape)


def as_format(x: torch.Tensor, fmt: torch.memory_format) -> torch.Tensor:
    """A batch in the model's memory order (a no-op for 4-D tensors already in it, and for other shapes)."""
    return x.contiguous(memory_format=fmt) if fmt is not torch.contiguous_format and x.dim() == 4 else x


@contextmanager
def threads(count: int | None) -> Iterator[None]:
    """torch's intra-op threads set to `count` while inside, then put back; None leaves torch's choice."""
    before = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        if count:
            torch.set_num_threads(before)


def compiled(model: nn.Module, wanted: bool) -> nn.Module:
    """The model the steps call: compiled when asked for. The uncompiled one keeps the weights and the
    state_dict names; compilation happens on the first step, and its errors end the run with a hint."""
    return torch.compile(model) if wanted else model
