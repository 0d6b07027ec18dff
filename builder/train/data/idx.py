"""IDX files, the format MNIST and Fashion-MNIST come in: one file of images, one of labels.

Either file may be gzip-compressed (told by its first two bytes, not its name). The header is
big-endian: a magic number (0x803 for images, 0x801 for labels), then the sizes, then uint8 data.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from builder.core.i18n import N_, tr
from builder.core.shapes import format_shape
from builder.train.data.base import DataError, LoadedData, SourceRequest, show_path

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


def load(request: SourceRequest) -> LoadedData:
    root = request.folder
    images_path = request.path("images")
    images = read_idx(images_path, root, IMAGES_MAGIC)
    n, rows, cols = images.shape
    if n == 0:
        raise DataError(tr("{path} holds no images", path=show_path(images_path, root)))
    shape = (1, rows, cols)
    if tuple(request.input_shape) != shape:
        raise DataError(tr("{path} holds {shape} images but the model's Input takes {input}",
                           path=show_path(images_path, root), shape=format_shape(shape),
                           input=format_shape(tuple(request.input_shape))))
    x = torch.from_numpy(images.reshape(n, *shape).astype(np.float32)).div_(255)  # as ToTensor scales
    y: torch.Tensor | None = None
    classes: list[str] | None = None
    files = [images_path]
    if request.task == "classification":
        if request.spec.get("labels") in (None, ""):
            raise DataError(
                tr("idx needs 'labels' for classification: the IDX file of labels (e.g. train-labels-idx1-ubyte.gz)")
            )
        labels_path = request.path("labels")
        labels = read_idx(labels_path, root, LABELS_MAGIC)
        if len(labels) != n:
            raise DataError(tr("{images} has {count:,} images but {labels} has {labels_count:,} labels",
                               images=show_path(images_path, root), count=n, labels=show_path(labels_path, root),
                               labels_count=len(labels)))
        y = torch.from_numpy(labels.astype(np.int64))
        classes = [str(i) for i in range(int(labels.max()) + 1)]
        files.append(labels_path)
    values = {"path": show_path(images_path, root), "count": n, "shape": format_shape(shape)}
    if classes is not None:
        description = tr("idx {path}: {count:,} images {shape}, {classes} classes", classes=len(classes), **values)
    else:
        description = tr("idx {path}: {count:,} images {shape}, no labels", **values)
    return LoadedData(dataset=None, tensors=(x, y), classes=classes, description=description, files=files)


def read_idx(path: Path, root: Path, magic: int) -> np.ndarray:
    """The uint8 payload of an IDX file: (N, rows, cols) for images, (N,) for labels."""
    shown = show_path(path, root)
    images = magic == IMAGES_MAGIC

    def say(image_message: str, label_message: str, **values: object) -> str:
        return tr(image_message if images else label_message, path=shown, **values)

    if not path.exists():
        raise DataError(tr("{path}: no such file", path=shown))
    if path.is_dir():
        raise DataError(say(N_("{path}: is a folder, not an IDX image file"),
                            N_("{path}: is a folder, not an IDX label file")))
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise DataError(tr("{path}: cannot be decompressed (gzip): {error}", path=shown, error=error)) from None
    dims = 3 if images else 1
    header = 4 + 4 * dims
    if len(data) < 4:
        raise DataError(say(N_("{path} is not an IDX image file (it is only {count} bytes long)"),
                            N_("{path} is not an IDX label file (it is only {count} bytes long)"), count=len(data)))
    found = struct.unpack(">I", data[:4])[0]
    if found != magic:
        if found in (IMAGES_MAGIC, LABELS_MAGIC):  # the other one of the pair
            raise DataError(say(N_("{path} is not an IDX image file (magic {magic:#x}); it looks like an IDX label "
                                   "file"),
                                N_("{path} is not an IDX label file (magic {magic:#x}); it looks like an IDX image "
                                   "file"), magic=found))
        raise DataError(say(N_("{path} is not an IDX image file (magic {magic:#x})"),
                            N_("{path} is not an IDX label file (magic {magic:#x})"), magic=found))
    if len(data) < header:
        raise DataError(tr("{path} is truncated: its header needs {needed} bytes, found {count}", path=shown,
                           needed=header, count=len(data)))
    sizes = struct.unpack(f">{dims}I", data[4:header])
    expected = int(np.prod(sizes, dtype=np.int64))
    if len(data) - header < expected:
        raise DataError(say(N_("{path} is truncated: expected {expected:,} bytes of images after the header, found "
                               "{count:,}"),
                            N_("{path} is truncated: expected {expected:,} bytes of labels after the header, found "
                               "{count:,}"), expected=expected, count=len(data) - header))
    return np.frombuffer(data, dtype=np.uint8, count=expected, offset=header).reshape(sizes)
