"""Checkpoints (resume exactly where a run stopped) and weights files, written atomically, read safely."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from safetensors.torch import save as safetensors_bytes

from builder.core.atomic import atomic_write_bytes

FORMAT = "nn-builder-checkpoint"
VERSION = 1


class CheckpointError(Exception):
    """A checkpoint or weights file that cannot be used; the message names the file."""


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    """torch.save, written in one piece: serialized in memory first, so a full disk or a read-only folder
    shows as a WriteError naming the path (torch would wrap it in an opaque RuntimeError)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(path, buffer.getbuffer())


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no checkpoint to resume from (train without --resume first)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a damaged or foreign file
        raise CheckpointError(f"{path}: cannot be read as a checkpoint: {_first_line(exc)}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an NN Builder checkpoint")
    if state.get("version", 0) > VERSION:
        raise CheckpointError(f"{path}: written by a newer NN Builder (checkpoint version {state['version']})")
    return state


def save_weights(state: dict[str, torch.Tensor], path: str | os.PathLike) -> None:
    """A state_dict as `.pt` (torch.save) or `.safetensors`, chosen by the file's extension."""
    path = Path(path)
    tensors = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    if path.suffix == ".safetensors":
        atomic_write_bytes(path, safetensors_bytes(tensors))
    else:
        atomic_torch_save(tensors, path)


def load_weights(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a state_dict safely: `weights_only=True` for `.pt`, safetensors for `.safetensors`."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such weights file")
    try:
        if path.suffix == ".safetensors":
            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path}: cannot be read as weights: {_first_line(exc)}") from None
    if isinstance(state, dict) and state.get("format") == FORMAT:
        state = state["model"]  # a checkpoint holds the weights too
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: holds no state_dict of tensors")
    return state


def load_into(model: torch.nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """Load weights, explaining a mismatch with the graph in words rather than torch's wall of text."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [f"{k}: file {tuple(state[k].shape)}, model {tuple(own[k].shape)}" for k in own
             if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or wrong:
        parts = []
        if wrong:
            parts.append("shapes differ: " + "; ".join(wrong[:3]))
        if missing:
            parts.append("missing: " + ", ".join(missing[:5]))
        if unexpected:
            parts.append("not in the model: " + ", ".join(unexpected[:5]))
        raise CheckpointError(f"{source}: the weights do not fit this model ({'; '.join(parts)})")
    model.load_state_dict(state)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
