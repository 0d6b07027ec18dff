"""Taking a model elsewhere: ONNX and TorchScript files with a dynamic batch dimension, each checked
against the module it came from on random inputs."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from builder.core.atomic import atomic_write_bytes
from builder.core.i18n import tr

CHECK_BATCH = 3  # differs from the batch the export traced with, so the dynamic batch is exercised


class ExportError(Exception):
    """An export that cannot be made or does not reproduce the module; the message says why."""


@dataclass(frozen=True)
class Checked:
    path: Path
    max_difference: float | None  # None: not checked (onnxruntime not installed)
    checker: str


@contextlib.contextmanager
def _quiet_torch():
    """Torch's exporter logs about optional packages (torchvision) and deprecations of its own:
    nothing a user can act on."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _inputs(shapes: list[tuple[int, ...]], batch: int) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(0)
    return tuple(torch.randn(batch, *shape, generator=generator) for shape in shapes)


def _outputs(result: torch.Tensor | tuple[torch.Tensor, ...]) -> list[torch.Tensor]:
    return list(result) if isinstance(result, (tuple, list)) else [result]


def export_torchscript(model: nn.Module, input_shapes: list[tuple[int, ...]], path: str | os.PathLike) -> Checked:
    path = Path(path)
    model = model.eval()
    try:
        scripted = torch.jit.script(model)
    except Exception as exc:  # noqa: BLE001 - scripting fails in many ways; tracing covers what it can't
        try:
            scripted = torch.jit.trace(model, _inputs(input_shapes, 2))
        except Exception as trace_error:  # noqa: BLE001
            raise ExportError(tr("TorchScript cannot take this model: {error}; tracing failed too: {trace_error}",
                                 error=exc, trace_error=trace_error)) from None
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    atomic_write_bytes(path, buffer.getbuffer())
    loaded = torch.jit.load(str(path))
    inputs = _inputs(input_shapes, CHECK_BATCH)
    with torch.no_grad():
        diff = max(float((a - b).abs().max()) for a, b in zip(_outputs(loaded(*inputs)), _outputs(model(*inputs))))
    return Checked(path, diff, "torch.jit.load")


def export_onnx(model: nn.Module, input_shapes: list[tuple[int, ...]], path: str | os.PathLike,
                input_names: list[str], output_names: list[str]) -> Checked:
    """ONNX through torch's exporter (it needs the `onnx` and `onnxscript` packages), batch dimension
    dynamic; checked with onnxruntime where it is installed."""
    path = Path(path)
    model = model.eval()
    try:
        import onnxscript  # noqa: F401 - torch's ONNX exporter needs it
    except ImportError:
        raise ExportError(tr("ONNX export needs the onnx extra: pip install 'nn-builder[onnx]' "
                             "(onnx, onnxscript, onnxruntime)")) from None
    batch = torch.export.Dim("batch", min=1)
    try:
        with contextlib.redirect_stdout(io.StringIO()), _quiet_torch():  # the exporter narrates its steps
            program = torch.onnx.export(model, _inputs(input_shapes, 2), input_names=input_names,
                                        output_names=output_names,
                                        dynamic_shapes=tuple({0: batch} for _ in input_shapes), dynamo=True)
            data = program.model_proto.SerializeToString()
    except Exception as exc:  # noqa: BLE001 - the exporter raises many kinds
        first_line = (str(exc).strip().splitlines() or [""])[0][:300]
        raise ExportError(tr("ONNX export failed: {error}", error=first_line)) from None
    atomic_write_bytes(path, data)
    try:
        import onnxruntime
    except ImportError:
        return Checked(path, None, tr("not checked: onnxruntime is not installed"))
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs = _inputs(input_shapes, CHECK_BATCH)
    feeds = {i.name: x.numpy() for i, x in zip(session.get_inputs(), inputs)}
    got = session.run(None, feeds)
    with torch.no_grad():
        expected = _outputs(model(*inputs))
    diff = max(float(abs(g - e.numpy()).max()) for g, e in zip(got, expected))
    return Checked(path, diff, "onnxruntime")
