"""How much memory training takes, estimated from the checked graph, and the largest batch that fits.

Training holds the weights, their gradients, the optimizer's state (Adam keeps two tensors per weight), the
batch, and every node's output that backward needs, plus, during backward, one gradient buffer the size of the
largest output. Views (Flatten, Reshape) share their input's memory. Mixed precision halves the outputs.
bench/memory_check.py compares this with the peak a training step really reaches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from builder.blocks.check import ModelReport
from builder.blocks.registry import BLOCKS
from builder.blocks.spec import product
from builder.core.i18n import tr

FLOAT32 = 4


@dataclass(frozen=True)
class MemoryEstimate:
    batch: int
    parameters: int  # bytes, as every figure here
    gradients: int
    optimizer: int
    optimizer_name: str
    activations: int  # the outputs backward keeps
    workspace: int  # the largest output again: the gradient flowing back through it
    inputs: int  # the batch itself

    @property
    def total(self) -> int:
        return self.parameters + self.gradients + self.optimizer + self.activations + self.workspace + self.inputs

    def lines(self) -> list[str]:
        return [tr("training memory at batch {batch:,}: about {total}", batch=self.batch,
                   total=format_bytes(self.total)),
                "  " + tr("parameters {parameters}, gradients {gradients}, {optimizer} state {state}",
                          parameters=format_bytes(self.parameters), gradients=format_bytes(self.gradients),
                          optimizer=self.optimizer_name, state=format_bytes(self.optimizer)),
                "  " + tr("outputs kept for backward {outputs}, the largest gradient on the way back {largest}, the "
                          "batch {inputs}", outputs=format_bytes(self.activations),
                          largest=format_bytes(self.workspace), inputs=format_bytes(self.inputs))]


def format_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError


def node_bytes(report: ModelReport, node_id: str, batch: int, value_bytes: int = FLOAT32) -> int:
    """The memory a node's output takes for a batch (a use of a module: all its blocks' outputs)."""
    info = report.infos.get(node_id)
    if info is None:
        return 0
    if info.inner is not None:
        inner = info.inner
        return sum(node_bytes(inner, n, batch, value_bytes) for n in inner.order
                   if n in inner.live and n not in inner.inputs)
    spec = BLOCKS.get(report.type_of(node_id))
    if spec is None or spec.view or spec.is_input or spec.is_output or _freed(report, node_id, spec):
        return 0
    return sum(product(shape) for shape in info.outputs) * batch * value_bytes


def _freed(report: ModelReport, node_id: str, spec: Any) -> bool:
    """An output that backward does not need: the block's own backward does not, nor does any reader's (a
    BatchNorm's output read by a ReLU, which keeps its own output; an Add's output read by a ReLU)."""
    if spec.backward_needs == "output":
        return False
    return not _needed_by_readers(report, node_id)


def _needed_by_readers(report: ModelReport, node_id: str) -> bool:
    """Whether a reader's backward needs the node's output; a view (Flatten) passes on what its readers need,
    as it shares the memory. A use of a module, or the end of the graph, may need it."""
    readers = [c for c in report.consumers.get(node_id, []) if c in report.live]
    if not readers:
        return True  # an Output: the loss reads it
    for reader in readers:
        spec = BLOCKS.get(report.type_of(reader))
        if spec is None or spec.backward_needs == "input" or spec.is_output:
            return True
        if spec.view and _needed_by_readers(report, reader):
            return True
    return False


def _largest(report: ModelReport, batch: int, value_bytes: int) -> int:
    largest = 0
    for node_id in report.order:
        info = report.infos.get(node_id)
        if info is None or node_id not in report.live:
            continue
        if info.inner is not None:
            largest = max(largest, _largest(info.inner, batch, value_bytes))
        elif node_bytes(report, node_id, batch, value_bytes):
            largest = max(largest, product(info.shape) * batch * value_bytes)
    return largest


def estimate(report: ModelReport, batch: int, optimizer: str = "Adam", options: dict[str, Any] | None = None,
             mixed_precision: bool = False) -> MemoryEstimate:
    from builder.train.optimizers import OPTIMIZERS

    value_bytes = 2 if mixed_precision else FLOAT32
    weights = report.total_params * FLOAT32
    spec = OPTIMIZERS.get(optimizer)
    state = spec.state(options or {}) if spec is not None else 0
    activations = sum(node_bytes(report, n, batch, value_bytes) for n in report.order if n in report.live)
    inputs = sum(product(report.infos[i].shape) for i in report.inputs if i in report.infos) * batch * FLOAT32
    return MemoryEstimate(batch, weights, weights, weights * state, optimizer, activations,
                          _largest(report, batch, value_bytes), inputs)


def settings_estimate(report: ModelReport, settings: Any, batch: int | None = None,
                      device_type: str = "cpu") -> MemoryEstimate:
    """The estimate for a project's settings (builder.train.config.Settings; None: the defaults): its batch size
    unless `batch` is given, its optimizer with its options, half-size outputs where mixed precision applies
    (on CUDA only, as training does)."""
    if settings is None:
        return estimate(report, batch or 64)
    training = settings.training
    return estimate(report, batch or settings.data.batch_size, training.optimizer, training.options,
                    training.mixed_precision and device_type == "cuda")


# -- the largest batch that fits ------------------------------------------------------------------

MARGIN = 0.9  # of the memory there is: other things the process and the device need


def largest_batch(fits: Callable[[int], bool], start: int, limit: int, max_trials: int = 25) -> int | None:
    """The largest batch size for which `fits(batch)` holds, by doubling from `start` until it fails (or reaches
    `limit`), then a binary search between the last that fitted and the first that did not, as Lightning's
    BatchSizeFinder does; the safety margin is `fits`'s to apply. None when even `start` does not fit."""
    trials = 0
    good, bad = 0, None
    batch = max(1, min(start, limit))
    while trials < max_trials:
        trials += 1
        if not fits(batch):
            bad = batch
            break
        good = batch
        if batch >= limit:
            return limit  # all there is fits: no search between the last doubling and the limit
        batch = min(batch * 2, limit)
    if good == 0:
        return None
    high = bad if bad is not None else good + 1
    while high - good > 1 and trials < max_trials:
        middle = (good + high) // 2
        trials += 1
        if fits(middle):
            good = middle
        else:
            high = middle
    return good


# -- measured -------------------------------------------------------------------------------------

def _status(field: str) -> int | None:
    """A memory figure of this process from /proc (Linux), in bytes; None elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Start the process's peak resident memory over from now (Linux: writing 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def available_bytes(device: Any) -> int | None:
    """Memory free for training on the device: the GPU's free memory, or the machine's available memory."""
    import torch

    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def measured_step(make_model: Callable[[], Any], input_shape: tuple[int, ...], target: Callable[[int], Any],
                  loss: Callable[[Any, Any], Any], optimizer: Callable[[Any], Any], batch: int,
                  device: Any, mixed_precision: bool = False) -> int | None:
    """Bytes one training step takes at its peak, over what the process held before the model was made: torch's
    allocator on CUDA, the resident memory's high-water mark on a Linux CPU (None where there is no way to tell).
    Raises torch's OutOfMemoryError (or MemoryError) when it does not fit at all. `mixed_precision`: the forward
    under autocast, as training runs it on a GPU."""
    import gc
    from contextlib import nullcontext

    import torch

    from builder.train.devices import autocast_dtype

    autocast = torch.autocast("cuda", dtype=autocast_dtype(device)) if mixed_precision else nullcontext()

    # A first step at this batch size loads what torch runs with (the optimizer's code, the convolution
    # library's kernels for these shapes, ~8 MB on this CPU): once per process, not the model's memory.
    warm = make_model().to(device).train()
    warm_opt = optimizer(warm.parameters())
    with autocast:
        warm_loss = loss(warm(torch.randn(batch, *input_shape, device=device)), target(batch).to(device))
    warm_loss.backward()
    warm_opt.step()
    del warm, warm_opt, warm_loss
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
    else:
        before = _status("VmRSS")
        if before is None:
            return None
    model = make_model().to(device).train()
    opt = optimizer(model.parameters())
    x = torch.randn(batch, *input_shape, device=device)
    y = target(batch).to(device)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with autocast:
            value = loss(model(x), y)
        value.backward()
        opt.step()

    step()  # the optimizer's state is made in the first step
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        step()
        torch.cuda.synchronize(device)
        return int(torch.cuda.max_memory_allocated(device) - before)
    if not _reset_peak():
        return None
    step()
    peak = _status("VmHWM")
    return None if peak is None else peak - before
