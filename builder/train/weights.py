"""Loading a weights file into the current graph, checked against it and read safely.

Input normalization travels inside the weights (as buffers `<input>_mean` and `<input>_std`), so the
code the weights fit is rebuilt from them: no data needs to be read to load a model.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from builder.blocks.check import ModelReport, check_model
from builder.compile import CompileError, build_classes, generate_code
from builder.compile.codegen import GeneratedCode, Normalization
from builder.core.i18n import tr, trn
from builder.core.project import Project
from builder.train.checkpoint import CheckpointError, load_into, load_weights, without_wrapper_prefix


def load_for_model(project: Project, model_name: str, path: str | Path) -> tuple[GeneratedCode, dict[str, Any]]:
    """(code, state) for weights that fit the model's graph; CheckpointError names what does not fit.
    What fits is what `load_into` accepts; the normalization buffers must also suit the model's input."""
    state = load_weights(path)
    code = _code(project, model_name, None, path)
    report = check_model(project.model(model_name), project)
    state = without_wrapper_prefix(state, code.attributes[model_name].values())
    normalization = _normalization(state, report, code.attributes[model_name], path)
    if normalization:
        code = _code(project, model_name, {model_name: normalization}, path)
    module = build_classes(code)[model_name]()
    load_into(module, state, str(path))
    return code, {k: v.detach().clone() for k, v in module.state_dict().items()}


def _code(project: Project, model_name: str, normalization: Normalization | None, path: str | Path) -> GeneratedCode:
    try:
        return generate_code(project, [model_name], normalization=normalization)
    except CompileError as exc:
        raise CheckpointError(tr("{path}: the model has problems to fix first ({problem})", path=path,
                                 problem=exc.problems[0][1])) from None


def _normalization(state: dict[str, torch.Tensor], report: ModelReport, attributes: dict[str, str],
                   path: str | Path) -> dict[str, tuple[list[float], list[float]]] | None:
    """The input's mean and std kept in the weights, checked: they become code, so they must be finite
    numbers, one per input channel, and the std must be above 0 (the input is divided by it)."""
    if not report.inputs:
        return None
    node = report.inputs[0]
    names = [f"{attributes[node]}_{stat}" for stat in ("mean", "std")]
    found = [state.get(name) for name in names]
    if found == [None, None]:
        return None
    channels = report.infos[node].shape[0]
    for name, tensor in zip(names, found):
        problem = _normalization_problem(tensor, channels)
        if problem:
            raise CheckpointError(tr("{path}: {name} (the input normalization) {problem}", path=path, name=name,
                                     problem=problem))
    mean, std = (tensor.flatten().tolist() for tensor in found)
    if min(std) <= 0:
        raise CheckpointError(tr("{path}: {name} (the input normalization) holds {value}, but the input is divided "
                                 "by it: it must be above 0", path=path, name=names[1], value=min(std)))
    return {node: (mean, std)}


def _normalization_problem(tensor: torch.Tensor | None, channels: int) -> str | None:
    if tensor is None:
        return tr("is missing, while its counterpart is there")
    if not tensor.is_floating_point():
        return tr("holds {dtype} values, not floating-point numbers", dtype=str(tensor.dtype).removeprefix("torch."))
    if tensor.numel() != channels:  # before reading its values: a lying shape could claim any size
        return trn("has {values:,} values but the model's input has {count} channel",
                   "has {values:,} values but the model's input has {count} channels", channels,
                   values=tensor.numel(), count=channels)
    if not all(math.isfinite(v) for v in tensor.flatten().tolist()):
        return tr("holds NaN or infinite values")
    return None
