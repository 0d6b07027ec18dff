"""Checkpoints (resume exactly where a run stopped) and weights files, written atomically, read safely.

Reading never runs anything a file holds (see tensor_files), and every way a file can be unusable ends in
one CheckpointError whose message starts with the file's path and says what is wrong in plain words.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save as safetensors_bytes

from builder.core.atomic import atomic_write_bytes
from builder.core.i18n import N_, tr
from builder.train.events import EpochRecord
from builder.train.tensor_files import FileProblem, read_tensor_file

FORMAT = "nn-builder-checkpoint"
VERSION = 1
# Where training scripts commonly keep the state_dict inside a checkpoint dict.
STATE_DICT_KEYS = ("state_dict", "model_state_dict", "model")
# Wrappers that put every name under a prefix: DataParallel / DistributedDataParallel, torch.compile.
WRAPPER_PREFIXES = ("module.", "_orig_mod.")


class CheckpointError(Exception):
    """A checkpoint or weights file that cannot be used; the message names the file."""


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    """torch.save, written in one piece: serialized in memory first, so a full disk or a read-only folder
    shows as a WriteError naming the path (torch would wrap it in an opaque RuntimeError)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(path, buffer.getbuffer())


CLASSES_KEY = "classes"  # in a safetensors file's metadata: a classifier's class names, by label, as JSON
MAX_CLASSES = 100_000


def save_weights(state: dict[str, torch.Tensor], path: str | os.PathLike, classes: list[str] | None = None) -> None:
    """A state_dict as `.pt` (torch.save) or `.safetensors`, chosen by the file's extension. A classifier's class
    names go into a safetensors file's metadata, so the file alone can be tried (a .pt holds tensors only)."""
    path = Path(path)
    tensors = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    if path.suffix == ".safetensors":
        # ASCII escapes: a name read from an undecodable folder name holds a lone surrogate, which UTF-8 refuses.
        metadata = {CLASSES_KEY: json.dumps(list(classes))} if classes else None
        atomic_write_bytes(path, safetensors_bytes(tensors, metadata=metadata))
    else:
        atomic_torch_save(tensors, path)


def classes_in(path: str | os.PathLike) -> list[str] | None:
    """The class names a safetensors weights file keeps (save_weights), or None: none kept, another format, or
    metadata that is not a list of names (a file is data: anything else is ignored, never trusted)."""
    path = Path(path)
    if path.suffix != ".safetensors":
        return None
    try:
        from safetensors import safe_open

        with safe_open(str(path), "pt") as handle:
            raw = (handle.metadata() or {}).get(CLASSES_KEY)
        names = json.loads(raw) if raw is not None else None
    except Exception:  # noqa: BLE001 - unreadable metadata is as good as none; the weights are read on their own
        return None
    if not isinstance(names, list) or not 0 < len(names) <= MAX_CLASSES or not all(isinstance(n, str) for n in names):
        return None
    return names


# -- checkpoints -----------------------------------------------------------------------------------


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """A checkpoint of this NN Builder, every part the trainer restores checked first: a damaged one is
    refused, naming the file, before anything of the run (its model, its output folder) changes."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(tr("{path}: no checkpoint to resume from (train without --resume first)", path=path))
    state = _read(path, resuming=True)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(tr("{path}: not an NN Builder checkpoint; train without --resume to start over",
                                 path=path))
    if _is_count(state.get("version")) and state["version"] > VERSION:  # before the rest, which it may change
        raise CheckpointError(tr("{path}: written by a newer NN Builder (checkpoint version {version})", path=path,
                                 version=state["version"]))
    problem = _checkpoint_problem(state)
    if problem:
        raise CheckpointError(tr("{path}: the checkpoint is damaged: {problem}; train without --resume to start over",
                                 path=path, problem=problem))
    return state


def _checkpoint_problem(state: dict[str, Any]) -> str | None:
    if not _is_count(state.get("version")):
        return tr("its version number is missing")
    if not _is_tensor_dict(state.get("model")):
        return tr("its weights are missing or are not all tensors")
    hollow = next((k for k, v in state["model"].items() if not _holds_its_values(v)), None)
    if hollow:
        return tr("its weights are not what it saves ({name} claims more values than it stores)", name=hollow)
    bad = next((k for k, v in state["model"].items() if _has_non_finite(v)), None)
    if bad:
        return tr("its weights hold NaN or infinite values ({name})", name=bad)
    if not _is_count(state.get("epoch")):
        return tr("its epoch number is missing")
    if not _optimizer_ok(state.get("optimizer")):
        return tr("its optimizer state is missing")
    if not all(_scaler_ok(state.get(key)) for key in ("scaler", "d_scaler")):
        return tr("its loss scaler state (mixed precision) is damaged")
    if state.get("kind") == "gan":
        problem = _gan_problem(state)
        if problem:
            return problem
    if not _history_ok(state.get("history")) or not _best_ok(state.get("best")):
        return tr("its record of past epochs is missing or damaged")
    if not _rng_ok(state.get("rng")):
        return tr("its random-number state is missing or damaged")
    return None


def _optimizer_ok(optimizer: Any) -> bool:
    return (isinstance(optimizer, dict) and isinstance(optimizer.get("state"), dict)
            and isinstance(optimizer.get("param_groups"), list))


def _scaler_ok(scaler: Any) -> bool:
    """A GradScaler's state_dict (numbers; empty from a disabled one), or None where the run had none."""
    return scaler is None or (isinstance(scaler, dict) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in scaler.values()))


def _gan_problem(state: dict[str, Any]) -> str | None:
    """What a GAN checkpoint holds besides the generator's part: the discriminator's, and the latent draws."""
    if not _is_tensor_dict(state.get("discriminator")):
        return tr("the discriminator's weights are missing or are not all tensors")
    if not _optimizer_ok(state.get("d_optimizer")):
        return tr("the discriminator's optimizer state is missing")
    fixed = state.get("fixed_z")
    if not (_is_bytes(state.get("noise")) and isinstance(fixed, torch.Tensor) and fixed.is_floating_point()
            and _holds_its_values(fixed)):
        return tr("its random-number state is missing or damaged")
    return None


def _history_ok(history: Any) -> bool:
    if not isinstance(history, list):
        return False
    try:
        for record in history:
            EpochRecord.from_dict(record)  # as the trainer will, so that it cannot fail there
    except (TypeError, ValueError, KeyError, AttributeError):
        return False
    return True


def _best_ok(best: Any) -> bool:
    return best is None or (isinstance(best, dict) and _is_count(best.get("epoch"))
                            and isinstance(best.get("loss"), (int, float))
                            and (best.get("state") is None or _is_tensor_dict(best["state"])))


def _rng_ok(rng: Any) -> bool:
    size = torch.get_rng_state().shape  # the CPU generator's and the shuffling generator's state alike
    return (isinstance(rng, dict) and all(_is_bytes(rng.get(k)) and rng[k].shape == size for k in ("torch", "shuffle"))
            and isinstance(rng.get("cuda"), list) and all(_is_bytes(s) for s in rng["cuda"]))


def _is_bytes(value: Any) -> bool:
    return isinstance(value, torch.Tensor) and value.dtype == torch.uint8 and value.layout == torch.strided


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# -- weights files ---------------------------------------------------------------------------------


def load_weights(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state_dict read safely from a weights file: torch's format (`.pt`, `.pth`, `.bin`, `.ckpt`, read
    with weights_only=True) or `.safetensors`. The file may hold the state_dict itself, or a dict holding
    it under "state_dict", "model_state_dict" or "model" (training checkpoints, NN Builder's included).
    The tensors come back as stored: `load_into` checks them against a model."""
    path = Path(path)
    state = _state_dict_in(path, _read(path))
    _check_plain_tensors(path, state)
    return state


def _read(path: Path, resuming: bool = False) -> Any:
    try:
        return read_tensor_file(path)
    except FileProblem as problem:
        if resuming:
            raise CheckpointError(tr("{path}: {problem}; train without --resume to start over", path=path,
                                     problem=problem)) from None
        raise CheckpointError(tr("{path}: {problem}", path=path, problem=problem)) from None


def _state_dict_in(path: Path, content: Any) -> dict[str, torch.Tensor]:
    if _is_tensor_dict(content):
        return content
    if not isinstance(content, dict):
        raise CheckpointError(tr("{path}: holds {content}, not a state_dict (a name for each tensor, as "
                                 "model.state_dict() gives)", path=path, content=_describe(content)))
    found = [key for key in STATE_DICT_KEYS if _is_tensor_dict(content.get(key))]
    if len(found) > 1:
        raise CheckpointError(tr("{path}: holds several sets of weights ({keys}); save the one to load on its own",
                                 path=path, keys=", ".join(map(repr, found))))
    if found:
        return content[found[0]]
    raise CheckpointError(tr("{path}: {problem}", path=path, problem=_why_not_state_dict(content)))


def _why_not_state_dict(content: dict[Any, Any]) -> str:
    inner = next((key for key in STATE_DICT_KEYS if isinstance(content.get(key), dict)), None)
    entries = content[inner] if inner else content
    if not entries:
        if inner:
            return tr("its '{inner}' holds no tensors (an empty dict)", inner=inner)
        return tr("holds no tensors (an empty dict)")
    key = next(k for k, v in entries.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor))
    if not isinstance(key, str):
        if inner:
            return tr("its '{inner}' has an entry named {key}, not a text name: a state_dict names each tensor",
                      inner=inner, key=repr(key))
        return tr("has an entry named {key}, not a text name: a state_dict names each tensor", key=repr(key))
    values = {"inner": inner, "key": key, "value": _describe(entries[key])}
    if inner:
        return tr("its '{inner}' holds '{key}', which is {value}, not a tensor: a weights file holds a state_dict (a "
                  "name for each tensor), alone or under 'state_dict', 'model_state_dict' or 'model'", **values)
    return tr("holds '{key}', which is {value}, not a tensor: a weights file holds a state_dict (a name for each "
              "tensor), alone or under 'state_dict', 'model_state_dict' or 'model'", **values)


def _check_plain_tensors(path: Path, state: dict[str, torch.Tensor]) -> None:
    for name, tensor in state.items():
        if tensor.layout != torch.strided:
            raise CheckpointError(tr("{path}: {name} is a {layout} tensor; only ordinary (dense) tensors load",
                                     path=path, name=name, layout=str(tensor.layout).removeprefix("torch.")))
        if tensor.is_quantized:
            raise CheckpointError(tr("{path}: {name} is quantized; only ordinary tensors load", path=path, name=name))
        if tensor.device.type == "meta":
            raise CheckpointError(tr("{path}: {name} holds no values (a 'meta' tensor: only its shape was saved)",
                                     path=path, name=name))


def _is_tensor_dict(value: Any) -> bool:
    return (isinstance(value, dict) and bool(value)
            and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in value.items()))


def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return tr("a single tensor of shape {shape}", shape=tuple(value.shape))
    if value is None:
        return tr("nothing (None)")
    kinds = {bool: N_("true/false"), int: N_("a number"), float: N_("a number"), str: N_("text"), bytes: N_("bytes"),
             dict: N_("a dict"), list: N_("a list"), tuple: N_("a list")}
    return next((tr(text) for kind, text in kinds.items() if isinstance(value, kind)), type(value).__name__)


# -- into a model ----------------------------------------------------------------------------------


def load_into(model: torch.nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """Load weights into the model, checked first, explaining a mismatch in words rather than torch's wall
    of text. Raises CheckpointError naming `source`.

    - Names and shapes must match the model's exactly (missing, extra and misshapen tensors are listed).
      A `module.` (DataParallel) or `_orig_mod.` (torch.compile) prefix on every name is dropped when the
      model has no part of that name, so such a prefix cannot be its own.
    - Numbers must be of the same kind. Floating-point weights take floating-point values of any precision:
      a float64 or float16 file loads into float32 weights, cast as torch's load_state_dict casts. But
      integer or true/false values, which load_state_dict would cast silently, are refused, naming the tensor.
    - NaN or infinite values are refused, naming the tensor: a model holding them outputs NaN for every
      input, so evaluating, exporting or training on from it could only mislead.
    """
    own = model.state_dict()
    state = without_wrapper_prefix(state, (name.split(".")[0] for name in own))
    problem = _fit_problem(own, state) or _kind_problem(own, state) or _value_problem(own, state)
    if problem:
        raise CheckpointError(tr("{path}: {problem}", path=source, problem=problem))
    model.load_state_dict(state)


def without_wrapper_prefix(state: dict[str, torch.Tensor], model_parts: Iterable[str]) -> dict[str, torch.Tensor]:
    """The state without a wrapper's prefix that every name has, when the model has no part of that name."""
    parts = set(model_parts)
    for prefix in WRAPPER_PREFIXES * 2:  # twice: DataParallel around torch.compile, or the other way round
        if state and prefix[:-1] not in parts and all(k.startswith(prefix) for k in state):
            state = {k.removeprefix(prefix): v for k, v in state.items()}
    return state


def _fit_problem(own: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> str | None:
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [tr("{name}: file {file}, model {model}", name=k, file=tuple(state[k].shape), model=tuple(own[k].shape))
             for k in own if k in state and state[k].shape != own[k].shape]
    if not (missing or unexpected or wrong):
        return None
    parts = []
    if wrong:
        parts.append(tr("shapes differ: {tensors}", tensors="; ".join(_first(wrong, 3))))
    if missing:
        parts.append(tr("missing: {names}", names=", ".join(_first(missing, 5))))
    if unexpected:
        parts.append(tr("not in the model: {names}", names=", ".join(_first(unexpected, 5))))
    details = "; ".join(parts)
    part = _outer_part(own, state)
    if part is not None:
        return tr("the weights do not fit this model ({details}); every name in the file starts with '{prefix}': the "
                  "weights are of a model that holds this one as '{part}'; save that part's state_dict on its own",
                  details=details, prefix=f"{part}.", part=part)
    return tr("the weights do not fit this model ({details})", details=details)


def _outer_part(own: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> str | None:
    """The part name when the file's names are the model's under one more prefix (a Lightning module's `model.`),
    for the message to say so: not dropped silently, since any part name could be the model's own."""
    outer = {name.split(".")[0] for name in state}
    if len(outer) != 1 or not all("." in name for name in state):
        return None
    part = outer.pop()
    if {name.removeprefix(f"{part}.") for name in state} != set(own):
        return None
    return part


def _first(items: list[str], count: int) -> list[str]:
    return items[:count] + ([tr("and {count} more", count=len(items) - count)] if len(items) > count else [])


def _kind_problem(own: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> str | None:
    for name, tensor in own.items():
        if _kind(state[name].dtype) != _kind(tensor.dtype):
            return tr("{name} holds {kind} ({dtype}) but the model's {name} holds {model_kind} ({model_dtype}); these "
                      "weights are not for this model", name=name, kind=tr(_kind(state[name].dtype)),
                      dtype=_dtype(state[name]), model_kind=tr(_kind(tensor.dtype)), model_dtype=_dtype(tensor))
    return None


def _kind(dtype: torch.dtype) -> str:
    """The kind of number, in English (compared as it is; tr() shows it)."""
    if dtype == torch.bool:
        return N_("true/false values")
    if dtype.is_complex:
        return N_("complex numbers")
    return N_("floating-point numbers") if dtype.is_floating_point else N_("whole numbers")


def _dtype(tensor: torch.Tensor) -> str:
    return str(tensor.dtype).removeprefix("torch.")


def _value_problem(own: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> str | None:
    """Shapes match here, so the checks' copies are no larger than the model itself."""
    for name, tensor in own.items():
        try:
            if _has_non_finite(state[name]):
                return tr("{name} holds NaN or infinite values: these weights are broken (often by a run whose loss "
                          "diverged); use weights saved before that", name=name)
            if _has_non_finite(state[name].to(tensor.dtype)):
                return tr("{name} holds values too large for the model's {dtype}", name=name, dtype=_dtype(tensor))
        except (RuntimeError, NotImplementedError):  # a number type torch cannot compute with (4-bit floats)
            return tr("{name} is stored as {stored}, which cannot become the model's {dtype}", name=name,
                      stored=_dtype(state[name]), dtype=_dtype(tensor))
    return None


def _has_non_finite(tensor: torch.Tensor) -> bool:
    return (tensor.is_floating_point() or tensor.is_complex()) and not bool(torch.isfinite(tensor).all())


def _holds_its_values(tensor: torch.Tensor) -> bool:
    """False for a view repeating fewer stored values (stride 0), which a pickle can make as large as it likes
    and NN Builder never saves: checking its values would allocate all it claims."""
    return tensor.untyped_storage().nbytes() >= tensor.numel() * tensor.element_size()
