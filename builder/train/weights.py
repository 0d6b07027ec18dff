"""Loading a weights file into the current graph, checked against it and read safely.

Input normalization travels inside the weights (as buffers `<input>_mean` and `<input>_std`), so the
code the weights fit is rebuilt from them: no data needs to be read to load a model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from builder.blocks.check import check_model
from builder.compile import CompileError, build_classes, generate_code
from builder.compile.codegen import GeneratedCode
from builder.core.project import Project
from builder.train.checkpoint import CheckpointError, load_into, load_weights


def load_for_model(project: Project, model_name: str, path: str | Path) -> tuple[GeneratedCode, dict[str, Any]]:
    """(code, state) for weights that fit the model's graph; CheckpointError names what does not fit."""
    state = load_weights(path)
    report = check_model(project.model(model_name))
    normalization = None
    if report.ok and report.inputs:
        try:
            code = generate_code(project, [model_name])
        except CompileError as exc:
            raise CheckpointError(f"{path}: the model has problems to fix first ({exc.problems[0][1]})") from None
        attribute = code.attributes[model_name][report.inputs[0]]
        mean, std = state.get(f"{attribute}_mean"), state.get(f"{attribute}_std")
        if isinstance(mean, torch.Tensor) and isinstance(std, torch.Tensor):
            normalization = {model_name: {report.inputs[0]: (mean.flatten().tolist(), std.flatten().tolist())}}
    try:
        code = generate_code(project, [model_name], normalization=normalization)
    except CompileError as exc:
        raise CheckpointError(f"{path}: the model has problems to fix first ({exc.problems[0][1]})") from None
    module = build_classes(code)[model_name]()
    load_into(module, state, str(path))
    return code, {k: v.detach().clone() for k, v in module.state_dict().items()}
