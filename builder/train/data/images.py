"""A folder of image files, laid out as torchvision's ImageFolder expects: one subfolder per class.

Images are read as torchvision's ToTensor reads them (float32 in [0, 1], channels first),
converted to the Input's channels and resized to its height and width. Small folders are
decoded up front, so a broken file is reported before training starts; large ones are read
file by file as batches need them.

Many files are read by a few worker processes, each given a chunk of files and giving back one uint8 array: one
task per file spends its time on locks and pickling, and threads wait on each other for the interpreter while
they open small images. The first files are read here and timed, and workers are started only when they would
save more time than starting them costs, so a small folder is read in this process. The decoded pixels of a
folder are kept for the next run by image_cache.py, which stands in front of decode_files (`reader`).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from builder.core.i18n import N_, tr, trn
from builder.train.data.base import (
    IN_MEMORY_LIMIT,
    DataError,
    LoadedData,
    Shape,
    SourceRequest,
    show_path,
)

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
MODES = {1: "L", 3: "RGB", 4: "RGBA"}

# Reads files into one uint8 (N, H, W, C) array: (files, the folder they are under, mode, size, project folder)
# -> (pixels, {index: message} of the files that failed). decode_files does it; a cache can stand in front of it.
Reader = Callable[[list[Path], Path, str, Shape, Path], tuple[np.ndarray, dict[int, str]]]


def load(request: SourceRequest, reader: Reader | None = None) -> LoadedData:
    """The folder's images, decoded by `reader` (default: decode_files) when they are kept in memory."""
    read = reader or _decode_under
    folder = request.path("path")
    root = request.folder
    _check_folder(folder, root)
    mode = _mode(request.input_shape)
    size = request.input_shape[1:]

    labels: list[int] | None = None
    classes: list[str] | None = None
    if request.task == "classification":
        classes = [entry.name for entry in sorted(folder.iterdir()) if entry.is_dir() and _visible(entry.name)]
        groups = [_images_under(folder / name) for name in classes]
        if not classes or not any(groups):
            raise DataError(tr("{folder}: no class folders with images: for classification, put each class's images "
                               "in a subfolder named after the class ({folder}cat/, {folder}dog/, ...)",
                               folder=show_path(folder, root, True)))
        for name, group in zip(classes, groups):
            if not group:
                raise DataError(_no_images(show_path(folder / name, root)))
        files = [path for group in groups for path in group]
        labels = [label for label, group in enumerate(groups) for _ in group]
    else:
        files = _images_under(folder)
        if not files:
            raise DataError(_no_images(show_path(folder, root, True)))

    targets: list[Path] | None = None
    target_mode, target_size = "", ()
    if request.task == "regression":
        if "targets" not in request.spec:
            raise DataError(
                tr("image_folder needs 'targets' for regression: a folder of target images with the same file names")
            )
        target_folder = request.path("targets")
        _check_folder(target_folder, root)
        target_mode = _mode(request.output_shape, output=True)
        target_size = request.output_shape[1:]
        targets = [_target_for(path.relative_to(folder), target_folder, root) for path in files]

    in_ram = request.in_memory
    if in_ram is None:
        in_ram = len(files) * math.prod(request.input_shape) * 4 <= IN_MEMORY_LIMIT
    dataset = ImageFiles(files, mode, size, root, labels, targets, target_mode, target_size)
    # Every file is looked at before training (decoded when kept in memory, its header checked otherwise), so
    # all the unreadable ones are named at once, not one per attempt to train.
    pixels, failures = read(files, folder, mode, size, root) if in_ram else (None, check_files(files, root))
    warnings = []
    if failures:
        if not request.skip_unreadable:
            raise DataError(unreadable_message(failures, folder, root))
        keep = [i for i in range(len(files)) if i not in failures]
        if not keep:
            raise DataError(unreadable_message(failures, folder, root))
        warnings.append(trn("{folder}: left out {count:,} unreadable file of {total:,} (skip_unreadable), e.g. "
                            "{example}",
                            "{folder}: left out {count:,} unreadable files of {total:,} (skip_unreadable), e.g. "
                            "{example}", len(failures), folder=show_path(folder, root, True), count=len(failures),
                            total=len(files), example=next(iter(failures.values()))))
        dataset = dataset.subset(keep)
        files, labels = dataset.files, dataset.labels
        pixels = pixels[keep] if pixels is not None else None
    values = {"folder": show_path(folder, root, True), "count": len(files),
              "shape": "×".join(map(str, request.input_shape))}
    if classes is not None:
        described = tr(N_("image folder {folder}: {count:,} images in {classes} classes, read as {shape}") if in_ram
                       else N_("image folder {folder}: {count:,} images in {classes} classes, read as {shape}, from "
                               "disk as needed"), classes=len(classes), **values)
    else:
        described = tr(N_("image folder {folder}: {count:,} images, read as {shape}") if in_ram
                       else N_("image folder {folder}: {count:,} images, read as {shape}, from disk as needed"),
                       **values)
    if not in_ram:
        return LoadedData(dataset, None, classes, described, files, warnings)
    y: torch.Tensor | None = None
    if labels is not None:
        y = torch.tensor(labels, dtype=torch.int64)
    elif targets is not None:
        target_pixels, target_failures = read(dataset.targets, request.path("targets"), target_mode, target_size,
                                              root)  # the readable inputs' targets
        if target_failures:
            raise DataError(next(iter(target_failures.values())))
        y = _to_tensor(target_pixels)
    x = _to_tensor(pixels)
    del pixels  # the uint8 copy: only the float one is kept
    return LoadedData(None, (x, y), classes, described, files, warnings)  # in memory: served from the tensors


MAX_NAMED = 10  # unreadable files named in one message; the rest are counted


def unreadable_message(failures: dict[int, str], folder: Path, root: Path) -> str:
    """Every unreadable file, named (up to MAX_NAMED), in one message, with the way around them."""
    named = list(failures.values())[:MAX_NAMED]
    more = len(failures) - len(named)
    values = {"folder": show_path(folder, root, True), "count": len(failures), "files": "; ".join(named), "more": more}
    if more:
        return trn("{folder}: {count:,} file cannot be read as images: {files}; and {more:,} more. Fix or remove them, "
                   "or set data.skip_unreadable to leave them out",
                   "{folder}: {count:,} files cannot be read as images: {files}; and {more:,} more. Fix or remove "
                   "them, or set data.skip_unreadable to leave them out", len(failures), **values)
    return trn("{folder}: {count:,} file cannot be read as images: {files}. Fix or remove them, or set "
               "data.skip_unreadable to leave them out",
               "{folder}: {count:,} files cannot be read as images: {files}. Fix or remove them, or set "
               "data.skip_unreadable to leave them out", len(failures), **values)


class ImageFiles(Dataset):
    """Reads one image (and its target image) per item, for folders too large to hold in memory."""

    def __init__(
        self,
        files: list[Path],
        mode: str,
        size: Shape,
        root: Path,
        labels: list[int] | None = None,
        targets: list[Path] | None = None,
        target_mode: str = "",
        target_size: Shape = (),
    ) -> None:
        self.files, self.mode, self.size, self.root = files, mode, size, root
        self.labels, self.targets, self.target_mode, self.target_size = labels, targets, target_mode, target_size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = _to_tensor(self.read(self.files[index], self.mode, self.size)[None])[0]
        if self.labels is not None:
            return x, torch.tensor(self.labels[index], dtype=torch.int64)
        if self.targets is not None:
            path = self.targets[index]
            return x, _to_tensor(self.read(path, self.target_mode, self.target_size)[None])[0]
        return x, x

    def read(self, path: Path, mode: str, size: Shape) -> np.ndarray:
        """One image as uint8 (height, width, channels), converted and resized."""
        return read_image(path, mode, size, self.root)

    def subset(self, keep: list[int]) -> ImageFiles:
        """The same files, those at `keep` only (the readable ones)."""
        def pick(items: list | None) -> list | None:
            return [items[i] for i in keep] if items is not None else None

        return ImageFiles(pick(self.files), self.mode, self.size, self.root, pick(self.labels), pick(self.targets),
                          self.target_mode, self.target_size)


PROBE = 200  # files read here first, to time one: workers are started only when they would save time
START_SECONDS = {"fork": 0.05, "forkserver": 2.0, "spawn": 4.0}  # about what starting workers costs, each way
CHUNK_BYTES = 16 * 1024**2  # decoded pixels per chunk a worker reads and sends back at most
MAX_WORKERS = 8


def decode_files(files: list[Path], mode: str, size: Shape, root: Path,
                 out: np.ndarray | None = None) -> tuple[np.ndarray, dict[int, str]]:
    """Every file decoded into one uint8 (N, H, W, C) array (into `out` when given: a row per file), and the
    files that failed: {index: message}, in file order. Failed files' rows are left as they were."""
    h, w = size
    if out is None:
        out = np.empty((len(files), h, w, len(mode)), dtype=np.uint8)
    failed = _in_chunks(files, mode, size, out)
    return out, _messages(failed, files, lambda path: read_image(path, mode, size, root), out)


def check_files(files: list[Path], root: Path) -> dict[int, str]:
    """The files whose header is not one Pillow can read: {index: message}, in file order."""
    failed = _in_chunks(files, None, (), None)
    return _messages(failed, files, lambda path: check_image(path, root), None)


def _decode_under(files: list[Path], _folder: Path, mode: str, size: Shape,
                  root: Path) -> tuple[np.ndarray, dict[int, str]]:
    return decode_files(files, mode, size, root)


def _messages(failed: list[int], files: list[Path], read, out: np.ndarray | None) -> dict[int, str]:
    """The message of each failed file, from read_image or check_image (the chunks only note which failed):
    made here, in this process's language. A file fixed since then gives its pixels instead."""
    messages: dict[int, str] = {}
    for i in failed:
        try:
            pixels = read(files[i])
        except DataError as error:
            messages[i] = str(error)
            continue
        if out is not None:
            out[i] = pixels
    return messages


def _in_chunks(files: list[Path], mode: str | None, size: Shape, out: np.ndarray | None) -> list[int]:
    """Decode every file into `out` (mode None: check its header only); the indices of those that failed.
    The first few are read here and timed; the rest go to worker processes, in chunks, when that saves time."""
    names = [str(path) for path in files]  # what a worker needs, and cheaper to send than Paths
    began = time.perf_counter()
    failed = _read_here(names, 0, min(PROBE, len(names)), mode, size, out)
    rest = len(names) - PROBE
    workers = max(1, min(MAX_WORKERS, _cores(), math.ceil(rest / 16)))
    if rest > 0 and workers > 1:
        method = _start_method()
        spent = (time.perf_counter() - began) / PROBE * rest
        if spent * (1 - 1 / workers) > START_SECONDS[method]:
            try:
                return failed + _read_in_workers(names, mode, size, out, workers, method)
            except BrokenProcessPool:
                pass  # a worker was killed (out of memory, say): read them here, where a failure is reported
            except OSError:
                pass  # no processes to be had (a limit on them, no /dev/shm): read them here
    return failed + _read_here(names, PROBE, len(names), mode, size, out)


def _read_here(names: list[str], start: int, stop: int, mode: str | None, size: Shape,
               out: np.ndarray | None) -> list[int]:
    view = out[start:stop] if out is not None else None
    return [start + i for i in _read_chunk((names[start:stop], mode, size), view)[1]]


def _read_in_workers(names: list[str], mode: str | None, size: Shape, out: np.ndarray | None, workers: int,
                     method: str) -> list[int]:
    """The files after the probe, in chunks (a few per worker, for balance), gathered in order into `out`."""
    per_file = max(1, out[0].nbytes) if out is not None and len(out) else 1024
    chunk = max(16, min(CHUNK_BYTES // per_file, math.ceil((len(names) - PROBE) / (workers * 4))))
    starts = range(PROBE, len(names), chunk)
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload([__name__])  # imported once in the server, not in every worker
    failed: list[int] = []
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for s, (pixels, bad) in zip(starts, pool.map(_read_chunk, [(names[s:s + chunk], mode, size) for s in starts])):
            if out is not None:
                out[s:s + len(pixels)] = pixels
            failed.extend(s + i for i in bad)
    return failed


def _read_chunk(task: tuple, out: np.ndarray | None = None) -> tuple[np.ndarray | None, list[int]]:
    """One worker's share: the chunk's pixels (into `out`, or a new array) and the indices that failed. Only
    which failed: the messages are made by read_image, later, for those few."""
    names, mode, size = task
    if mode is not None and out is None:
        out = np.zeros((len(names), *size, len(mode)), dtype=np.uint8)
    failed = []
    for i, name in enumerate(names):
        try:
            with Image.open(name) as img:
                if mode is None:
                    img.verify()
                else:
                    out[i] = _converted(img, mode, size)
        except Exception:  # noqa: BLE001 - any failure at all: read_image says what it was
            failed.append(i)
    return out, failed


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use (a container's, a taskset's)
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _start_method() -> str:
    """Fork (a worker starts in milliseconds, everything imported) where nothing else runs that the fork could
    catch halfway: Linux, from the main thread, no other threads. From the window's threads, and on macOS (whose
    system libraries do not survive a fork), workers are forked from a fresh server process; on Windows, spawned."""
    alone = threading.current_thread() is threading.main_thread() and threading.active_count() == 1
    if sys.platform.startswith("linux") and alone:
        return "fork"
    return "spawn" if sys.platform == "win32" else "forkserver"


def check_image(path: Path, root: Path) -> None:
    """The file's header is an image Pillow can read (without decoding every pixel); DataError if not."""
    try:
        if path.stat().st_size == 0:
            raise DataError(tr("{path}: cannot be read as an image: the file is empty (0 bytes)",
                               path=show_path(path, root)))
        with Image.open(path) as img:
            img.verify()
    except DataError:
        raise
    except UnidentifiedImageError:
        raise DataError(tr("{path}: cannot be read as an image: not a format Pillow knows",
                           path=show_path(path, root))) from None
    except FileNotFoundError:
        raise DataError(tr("{path}: no such file (was it moved or deleted?)", path=show_path(path, root))) from None
    except Exception as error:  # noqa: BLE001 - a damaged file can fail anywhere in a decoder
        raise DataError(tr("{path}: cannot be read as an image: {error}", path=show_path(path, root),
                           error=error)) from None


def read_image(path: Path, mode: str, size: Shape, root: Path) -> np.ndarray:
    """An image file as uint8 (height, width, channels) in `mode` and `size`; DataError if unreadable."""
    try:
        if path.stat().st_size == 0:
            raise DataError(tr("{path}: cannot be read as an image: the file is empty (0 bytes)",
                               path=show_path(path, root)))
        with Image.open(path) as img:
            array = _converted(img, mode, size)
    except DataError:
        raise
    except UnidentifiedImageError:
        raise DataError(tr("{path}: cannot be read as an image: not a format Pillow knows",
                           path=show_path(path, root))) from None
    except FileNotFoundError:
        raise DataError(tr("{path}: no such file (was it moved or deleted?)", path=show_path(path, root))) from None
    except Exception as error:  # a corrupt file can fail deep inside any decoder, in any way
        raise DataError(tr("{path}: cannot be read as an image: {error}", path=show_path(path, root),
                           error=error)) from None
    return array


def _converted(img: Image.Image, mode: str, size: Shape) -> np.ndarray:
    """An open image as uint8 (height, width, channels) in `mode` and `size`."""
    h, w = size
    img = img.convert(mode) if img.mode != mode else img
    if img.size != (w, h):
        img = img.resize((w, h), Image.Resampling.BILINEAR)
    array = np.array(img)  # a copy: writable, and free of the file
    return array[:, :, None] if array.ndim == 2 else array


def _to_tensor(batch: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, C) -> float32 (N, C, H, W) in [0, 1], as ToTensor does it: filled in place, so the only
    memory taken is the result's."""
    n, h, w, c = batch.shape
    out = torch.empty((n, c, h, w), dtype=torch.float32)
    out.copy_(torch.from_numpy(batch).permute(0, 3, 1, 2))
    return out.div_(255)


def _images_under(folder: Path) -> list[Path]:
    """Image files anywhere below a folder, hidden files and folders skipped, sorted by relative path."""
    found: list[tuple[str, Path, str]] = []  # (relative path with /, its folder, name): pathlib is slow at 60,000
    seen: set[str] = set()
    for here, dirs, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(here)
        if real in seen:  # a link back up the tree
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = [d for d in dirs if _visible(d)]
        relative = os.path.relpath(here, folder).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        parent = Path(here)
        found.extend((prefix + n, parent, n) for n in names if _visible(n) and n.lower().endswith(EXTENSIONS))
    found.sort(key=lambda item: item[0])
    return [parent / name for _relative, parent, name in found]


def _target_for(relative: Path, target_folder: Path, root: Path) -> Path:
    """The target with the same relative name; failing that, the same name with another image extension."""
    exact = target_folder / relative
    if exact.is_file():
        return exact
    for ext in EXTENSIONS:
        for candidate in (exact.with_suffix(ext), exact.with_suffix(ext.upper())):
            if candidate.is_file():
                return candidate
    raise DataError(tr("{path}: missing: every image needs a target with the same name", path=show_path(exact, root)))


def _check_folder(folder: Path, root: Path) -> None:
    if not folder.exists():
        raise DataError(tr("{folder}: no such folder", folder=show_path(folder, root, True)))
    if not folder.is_dir():
        raise DataError(tr("{path}: is a file, not a folder of images", path=show_path(folder, root)))


def _no_images(folder: str) -> str:
    return tr("{folder}: no images ({extensions})", folder=folder, extensions=", ".join(EXTENSIONS))


def _mode(shape: Shape, output: bool = False) -> str:
    """The Pillow mode of the Input's images (the Output's, for regression targets)."""
    if len(shape) != 3:
        raise DataError(tr(N_("image_folder gives images (channels, height, width), but the model's Output gives "
                              "{shape}") if output
                           else N_("image_folder gives images (channels, height, width), but the model's Input takes "
                                   "{shape}"), shape="×".join(map(str, shape))))
    if shape[0] not in MODES:
        raise DataError(tr(N_("image_folder reads images with 1 (grey), 3 (RGB) or 4 (RGBA) channels, but the model's "
                              "Output gives {count} channels") if output
                           else N_("image_folder reads images with 1 (grey), 3 (RGB) or 4 (RGBA) channels, but the "
                                   "model's Input takes {count} channels"), count=shape[0]))
    return MODES[shape[0]]


def _visible(name: str) -> bool:
    return not name.startswith(".")
