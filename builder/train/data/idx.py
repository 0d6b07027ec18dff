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
        raise DataError(f"{show_path(images_path, root)} holds no images")
    shape = (1, rows, cols)
    if tuple(request.input_shape) != shape:
        raise DataError(
            f"{show_path(images_path, root)} holds {format_shape(shape)} images but the model's Input takes "
            f"{format_shape(tuple(request.input_shape))}"
        )
    x = torch.from_numpy(images.reshape(n, *shape).astype(np.float32)).div_(255)  # as ToTensor scales
    y: torch.Tensor | None = None
    classes: list[str] | None = None
    files = [images_path]
    if request.task == "classification":
        if request.spec.get("labels") in (None, ""):
            raise DataError(
                "idx needs 'labels' for classification: the IDX file of labels (e.g. train-labels-idx1-ubyte.gz)"
            )
        labels_path = request.path("labels")
        labels = read_idx(labels_path, root, LABELS_MAGIC)
        if len(labels) != n:
            raise DataError(
                f"{show_path(images_path, root)} has {n:,} images but {show_path(labels_path, root)} has {len(labels):,} labels"
            )
        y = torch.from_numpy(labels.astype(np.int64))
        classes = [str(i) for i in range(int(labels.max()) + 1)]
        files.append(labels_path)
    tail = f"{len(classes)} classes" if classes is not None else "no labels"
    return LoadedData(
        dataset=None,
        tensors=(x, y),
        classes=classes,
        description=f"idx {show_path(images_path, root)}: {n:,} images {format_shape(shape)}, {tail}",
        files=files,
    )


def read_idx(path: Path, root: Path, magic: int) -> np.ndarray:
    """The uint8 payload of an IDX file: (N, rows, cols) for images, (N,) for labels."""
    shown = show_path(path, root)
    kind = "image" if magic == IMAGES_MAGIC else "label"
    if not path.exists():
        raise DataError(f"{shown}: no such file")
    if path.is_dir():
        raise DataError(f"{shown}: is a folder, not an IDX {kind} file")
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise DataError(f"{shown}: cannot be decompressed (gzip): {error}") from None
    dims = 3 if magic == IMAGES_MAGIC else 1
    header = 4 + 4 * dims
    if len(data) < 4:
        raise DataError(f"{shown} is not an IDX {kind} file (it is only {len(data)} bytes long)")
    found = struct.unpack(">I", data[:4])[0]
    if found != magic:
        other = {IMAGES_MAGIC: "; it looks like an IDX image file", LABELS_MAGIC: "; it looks like an IDX label file"}
        raise DataError(f"{shown} is not an IDX {kind} file (magic {found:#x}){other.get(found, '')}")
    if len(data) < header:
        raise DataError(f"{shown} is truncated: its header needs {header} bytes, found {len(data)}")
    sizes = struct.unpack(f">{dims}I", data[4:header])
    expected = int(np.prod(sizes, dtype=np.int64))
    if len(data) - header < expected:
        raise DataError(
            f"{shown} is truncated: expected {expected:,} bytes of {kind}s after the header, found {len(data) - header:,}"
        )
    return np.frombuffer(data, dtype=np.uint8, count=expected, offset=header).reshape(sizes)
