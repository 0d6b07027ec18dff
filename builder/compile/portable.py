"""Taking a model elsewhere: torch.export (.pt2), ONNX and TorchScript files with a dynamic batch dimension,
each checked against the module it came from on random inputs. TorchScript is deprecated since torch 2.13:
it stays while torch has it, and .pt2 is the format to recommend (Netron, Model Explorer and MATLAB read it)."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
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
def _quiet_torch(logger_name: str = "torch.onnx"):
    """Torch's exporters log about optional packages (torchvision) and deprecations of their own, and
    torch.export prints the graph it gave up on: nothing a user can act on (the reason is in the error)."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
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


def _difference(got: torch.Tensor | tuple[torch.Tensor, ...],
                expected: torch.Tensor | tuple[torch.Tensor, ...]) -> float:
    return max(float((a - b).abs().max()) for a, b in zip(_outputs(got), _outputs(expected)))


def export_pt2(model: nn.Module, input_shapes: list[tuple[int, ...]], path: str | os.PathLike) -> Checked:
    """An ExportedProgram (torch.export) with a dynamic batch dimension, loaded back with torch.export.load
    and run at another batch size than the one it was exported with."""
    path = Path(path)
    model = model.eval()
    batch = torch.export.Dim("batch", min=1)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                _quiet_torch("torch"):
            program = torch.export.export(model, _inputs(input_shapes, 2),
                                          dynamic_shapes=tuple({0: batch} for _ in input_shapes))
    except Exception as exc:  # noqa: BLE001 - torch.export refuses in many ways, each with its reason
        raise ExportError(tr("torch.export cannot take this model: {reason}", reason=export_reason(exc))) from None
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    atomic_write_bytes(path, buffer.getbuffer())
    loaded = torch.export.load(str(path)).module()
    inputs = _inputs(input_shapes, CHECK_BATCH)
    with torch.no_grad():
        diff = _difference(loaded(*inputs), model(*inputs))
    return Checked(path, diff, "torch.export.load")


def export_reason(exc: BaseException) -> str:
    """torch.export's reason in one line: its first sentence, and the line of the model's code it stopped at.
    Its advice (environment variables, links, draft_export) is for torch's developers, not for the user."""
    text = str(exc)
    constant = re.search(r"specialized it to be a constant \((\d+)\)", text)
    if constant:
        return tr("the model fixes the batch size at {size}, so it cannot take batches of other sizes",
                  size=constant.group(1))
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = lines[0][:300] if lines else type(exc).__name__
    if "data-dependent expression" in first:
        first = tr("it decides by the values in a tensor (data-dependent control flow), which an exported graph "
                   "cannot hold")
    marker = "The following call raised this error:"
    if marker in lines:
        place = lines[lines.index(marker) + 1:lines.index(marker) + 3]
        found = re.match(r'File "(.+)", line (\d+)', place[0]) if place else None
        if found and len(place) == 2:
            return f"{first} ({Path(found.group(1)).name}:{found.group(2)}: {place[1][:120]})"
    return first


def export_torchscript(model: nn.Module, input_shapes: list[tuple[int, ...]], path: str | os.PathLike) -> Checked:
    """TorchScript, deprecated since torch 2.13 (export_pt2 is its successor): kept while torch has it."""
    path = Path(path)
    model = model.eval()
    if not hasattr(torch.jit, "script"):
        raise ExportError(tr("this version of torch no longer has TorchScript: export .pt2 (torch.export) instead"))
    # torch warns on every TorchScript call; the menu and --help already say it is deprecated, once.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            scripted = torch.jit.script(model)
        except Exception as exc:  # noqa: BLE001 - scripting fails in many ways; tracing covers what it can't
            try:
                scripted = torch.jit.trace(model, _inputs(input_shapes, 2))
            except Exception as trace_error:  # noqa: BLE001
                raise ExportError(tr("TorchScript cannot take this model: {error}; tracing failed too: "
                                     "{trace_error}", error=exc, trace_error=trace_error)) from None
        buffer = io.BytesIO()
        torch.jit.save(scripted, buffer)
        atomic_write_bytes(path, buffer.getbuffer())
        loaded = torch.jit.load(str(path))
    inputs = _inputs(input_shapes, CHECK_BATCH)
    with torch.no_grad():
        diff = _difference(loaded(*inputs), model(*inputs))
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
