"""NumPy arrays: an .npz archive holding x and y, or one .npy file for each.

Files are always opened with allow_pickle=False: an array of Python objects is refused, since
unpickling a file from elsewhere can run any code. Values are used as stored, not rescaled.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from builder.core.i18n import tr
from builder.core.shapes import format_shape
from builder.train.data.base import DataError, LoadedData, Shape, SourceRequest, show_path

_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def load_npz(request: SourceRequest) -> LoadedData:
    path, root = request.path("path"), request.folder
    shown = show_path(path, root)
    names = {key: request.spec.get(key, key) for key in ("x", "y")}
    for key, name in names.items():
        if not isinstance(name, str) or not name:
            raise DataError(tr("npz '{key}' must be the name of an array in the file, got {value}", key=key,
                               value=repr(name)))
    _check_file(path, root, "npz")
    wanted = ["x"] if request.task == "reconstruction" else ["x", "y"]
    found: dict[str, np.ndarray] = {}
    try:
        with np.load(path, allow_pickle=False) as archive:
            for key in wanted:
                if names[key] not in archive.files:
                    raise DataError(tr("{path} has no array '{array}'; it has: {arrays}", path=shown,
                                       array=names[key], arrays=", ".join(archive.files) or tr("none")))
                try:
                    found[key] = archive[names[key]]
                except ValueError as error:
                    raise _refused(tr("{path}: array '{array}'", path=shown, array=names[key]), error) from None
    except DataError:
        raise
    except Exception as error:  # a damaged archive fails inside zipfile or numpy's header parser
        raise DataError(tr("{path}: cannot be read as an .npz file: {error}", path=shown, error=error)) from None
    return _finish(request, found["x"], found.get("y"), f"{shown}: ", (names["x"], names["y"]), f"npz {shown}", [path])


def load_npy(request: SourceRequest) -> LoadedData:
    root = request.folder
    x_path = request.path("x")
    x = _read_npy(x_path, root)
    y = None
    if request.task != "reconstruction":
        if request.spec.get("y") in (None, ""):
            if request.task == "classification":
                raise DataError(tr("npy needs 'y' for {task}: the .npy file of labels", task=request.task))
            raise DataError(tr("npy needs 'y' for {task}: the .npy file of targets", task=request.task))
        y = _read_npy(request.path("y"), root)
    x_shown = show_path(x_path, root)
    if y is None:
        return _finish(request, x, None, "", (x_shown, "y"), f"npy {x_shown}", [x_path])
    y_shown = show_path(request.path("y"), root)
    return _finish(request, x, y, "", (x_shown, y_shown), f"npy {x_shown}, {y_shown}", [x_path, request.path("y")])


def _read_npy(path: Path, root: Path) -> np.ndarray:
    shown = show_path(path, root)
    _check_file(path, root, "npy")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as error:
        raise _refused(shown, error) from None
    except Exception as error:
        raise DataError(tr("{path}: cannot be read as an .npy file: {error}", path=shown, error=error)) from None


def _finish(
    request: SourceRequest,
    x: np.ndarray,
    y: np.ndarray | None,
    prefix: str,
    names: tuple[str, str],
    what: str,
    files: list[Path],
) -> LoadedData:
    """Check x (and y) and convert them to tensors. Messages name them as prefix + name: "d.npz: x", "x.npy"."""
    x_who, y_who = prefix + names[0], prefix + names[1]
    xs = _features(x, request.input_shape, x_who)
    n = len(xs)
    classes: list[str] | None = None
    ys: torch.Tensor | None = None
    if y is not None:
        if y.ndim == 0:
            raise DataError(tr("{x} has {count:,} samples but {y} has a single value", x=x_who, count=n,
                               y=names[1]))
        if len(y) != n:
            raise DataError(tr("{x} has {count:,} samples but {y} has {other:,}", x=x_who, count=n, y=names[1],
                               other=len(y)))
        if request.task == "classification":
            ys = _labels(y, y_who)
            classes = [str(i) for i in range(int(ys.max()) + 1)]
        else:
            ys = _targets(y, request.output_shape, y_who)
    values = {"source": what, "count": n, "shape": format_shape(tuple(request.input_shape))}
    if request.task == "classification":
        description = tr("{source}: {count:,} samples of {shape}, {classes} classes", classes=len(classes or []),
                         **values)
    elif request.task == "regression":
        description = tr("{source}: {count:,} samples of {shape}, targets of {target}",
                         target=format_shape(tuple(request.output_shape)), **values)
    else:
        description = tr("{source}: {count:,} samples of {shape}, no labels", **values)
    return LoadedData(dataset=None, tensors=(xs, ys), classes=classes, description=description, files=files)


def _features(x: np.ndarray, shape: Shape, who: str) -> torch.Tensor:
    """x as float32 (N, *shape): also from (N, H, W) for a 1-channel Input, or channels-last."""
    _numeric(x, who)
    if x.ndim == 0:
        raise DataError(tr("{name} is a single value, not an array of samples", name=who))
    if x.size == 0:
        raise DataError(tr("{name} is empty ({shape})", name=who, shape="×".join(map(str, x.shape))))
    sample = tuple(x.shape[1:])
    if sample == tuple(shape):
        pass
    elif len(shape) == 3 and shape[0] == 1 and sample == tuple(shape[1:]):
        x = x[:, None]
    elif len(shape) == 3 and sample == (shape[1], shape[2], shape[0]):
        x = x.transpose(0, 3, 1, 2)
    elif tuple(shape) == (1,) and sample == ():
        x = x[:, None]
    else:
        raise DataError(tr("{name} holds samples of {shape} but the model's Input takes {input}", name=who,
                           shape=format_shape(sample), input=format_shape(tuple(shape))))
    out = np.ascontiguousarray(x, dtype=np.float32)
    _finite(out, who)
    return torch.from_numpy(out)


def _labels(y: np.ndarray, who: str) -> torch.Tensor:
    """Whole-number class labels counting up from 0, as int64 (N,)."""
    _numeric(y, who)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        shape = format_shape(tuple(y.shape[1:]))
        if y.ndim == 2:
            raise DataError(tr("{name} holds samples of {shape}, but classification needs one whole-number label per "
                               "sample; if it is one-hot, save y.argmax(1) instead", name=who, shape=shape))
        raise DataError(tr("{name} holds samples of {shape}, but classification needs one whole-number label per "
                           "sample", name=who, shape=shape))
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(tr("{name} has a fractional label ({value:g} at sample {index}); classification needs "
                               "whole-number class labels", name=who, value=float(y[i]), index=i))
    if (y < 0).any():
        i = int(np.argmax(y < 0))
        raise DataError(tr("{name} has a negative label ({value:g} at sample {index}); class labels count up from 0",
                           name=who, value=float(y[i]), index=i))
    return torch.from_numpy(y.astype(np.int64))


def _targets(y: np.ndarray, shape: Shape, who: str) -> torch.Tensor:
    """Regression targets as float32 (N, *shape), reshaped when each sample has the right count."""
    _numeric(y, who)
    per_sample = math.prod(y.shape[1:])
    if per_sample != math.prod(shape):
        raise DataError(tr("{name} holds samples of {shape} but the model's Output gives {output}", name=who,
                           shape=format_shape(tuple(y.shape[1:])), output=format_shape(tuple(shape))))
    out = np.ascontiguousarray(y.reshape(len(y), *shape), dtype=np.float32)
    _finite(out, who)
    return torch.from_numpy(out)


def _numeric(a: np.ndarray, who: str) -> None:
    if a.dtype.kind not in "biuf":
        raise DataError(tr("{name} holds {dtype} values, not numbers", name=who, dtype=str(a.dtype)))


def _finite(a: np.ndarray, who: str) -> None:
    finite = np.isfinite(a).reshape(len(a), -1).all(axis=1)
    if not finite.all():
        i = int(np.argmin(finite))
        raise DataError(tr("{name} holds NaN or infinite values (first in sample {index}); training cannot use them",
                           name=who, index=i))


def _refused(who: str, error: ValueError) -> DataError:
    if "allow_pickle" in str(error):  # numpy's own message
        return DataError(_pickled(who))
    return DataError(tr("{name}: cannot be read: {error}", name=who, error=error))


def _pickled(who: str) -> str:
    return tr("{name} holds pickled Python objects, which are refused: loading them could run any code. Save plain "
              "numeric arrays (np.savez(path, x=x, y=y))", name=who)


def _check_file(path: Path, root: Path, kind: str) -> None:
    shown = show_path(path, root)
    if not path.exists():
        raise DataError(tr("{path}: no such file", path=shown))
    if path.is_dir():
        raise DataError(tr("{path}: is a folder, not an .{kind} file", path=shown, kind=kind))
    with open(path, "rb") as f:
        head = f.read(6)
    if not head:
        raise DataError(tr("{path}: the file is empty (0 bytes)", path=shown))
    if head[:1] == b"\x80":
        raise DataError(_pickled(shown))
    is_zip, is_npy = head[:4] in _ZIP_MAGIC, head == _NPY_MAGIC
    if kind == "npz" and not is_zip:
        if is_npy:
            raise DataError(tr("{path} is not an .npz file; it is an .npy file: use kind 'npy'", path=shown))
        raise DataError(tr("{path} is not an .npz file", path=shown))
    if kind == "npy" and not is_npy:
        if is_zip:
            raise DataError(tr("{path} is not an .npy file; it is an .npz archive: use kind 'npz'", path=shown))
        raise DataError(tr("{path} is not an .npy file", path=shown))
