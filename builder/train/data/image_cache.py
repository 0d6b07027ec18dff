"""Decoded image folders kept on disk, so that the next run over the same folder starts in a moment.

One entry per folder and reading settings (channels, height, width): `<name>.npy`, the uint8 (N, H, W, C)
pixels as np.save writes them (memory-mappable), and `<name>.json`, what they were read from: a digest of the
files' relative paths, sizes and modification times, the files that could not be read, and a checksum of the
pixels. An entry whose files changed, or that is damaged or cut short, is read again from the images and
rewritten. Both files are written atomically (a temporary file, then a rename), the pixels first, so a run
killed halfway leaves an entry that fails its check, never one that passes with the wrong pixels.

The cache is `.builder-cache/images/` beside the project file (beside the data folder when there is no
project file) and holds at most BUILDER_IMAGE_CACHE_MB megabytes (2048 unless set; 0 turns it off): the
entries used longest ago go first. Deleting the folder is always safe. Folders read lazily (too large for
memory) are not cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import time
import zlib
from pathlib import Path

import numpy as np

from builder.core.atomic import atomic_write_bytes, atomic_write_text
from builder.core.i18n import tr, trn
from builder.train.data import images
from builder.train.data.base import DataError, LoadedData, Shape, SourceRequest, show_path

CACHE_FOLDER = ".builder-cache"
LIMIT_VARIABLE = "BUILDER_IMAGE_CACHE_MB"
DEFAULT_LIMIT_MB = 2048
CACHE_FROM = 1000  # files; fewer decode in well under a second, not worth an entry on the disk
FORMAT = 1  # written into every entry: raise it when what an entry holds, or how images are read, changes
LEFTOVER_AGE = 3600  # seconds after which a temporary file is a writer's that was killed, not one at work


def cache_folder_for(project_file: Path | None) -> Path | None:
    """Where a project's decoded images are kept: beside its file; None when it has none (then beside the data)."""
    return project_file.parent / CACHE_FOLDER if project_file is not None else None


def load(request: SourceRequest) -> LoadedData:
    """An image folder, as images.load reads it, with the cache in front of the decoding."""
    folder = request.cache_folder or request.path("path").parent / CACHE_FOLDER
    cache = ImageCache(folder / "images", limit_bytes(), request.folder)
    data = images.load(request, cache.read)
    if cache.notes:
        data.description = "; ".join([data.description, *cache.notes])
    return data


def limit_bytes(environ: dict[str, str] | None = None) -> int:
    """The cache's size bound from BUILDER_IMAGE_CACHE_MB (megabytes; 0: no cache)."""
    text = (os.environ if environ is None else environ).get(LIMIT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_LIMIT_MB * 1024**2
    try:
        megabytes = int(text)
    except ValueError:
        megabytes = -1
    if megabytes < 0:
        raise DataError(tr("{variable} must be a whole number of megabytes (0 turns the image cache off), got "
                           "'{value}'", variable=LIMIT_VARIABLE, value=text[:40]))
    return megabytes * 1024**2


class ImageCache:
    """An images.Reader that keeps what it decodes in `folder`, up to `limit` bytes; `notes` says what it did."""

    def __init__(self, folder: Path, limit: int, root: Path) -> None:
        self.folder, self.limit, self.root = folder, limit, root
        self.notes: list[str] = []
        self.clock = time.perf_counter()  # the time a note gives counts from here: listing the folder included

    def read(self, files: list[Path], under: Path, mode: str, size: Shape,
             root: Path) -> tuple[np.ndarray, dict[int, str]]:
        try:
            return self._read(files, under, mode, size, root, self.clock)
        finally:
            self.clock = time.perf_counter()  # a second read (regression targets) is timed from here

    def _read(self, files: list[Path], under: Path, mode: str, size: Shape, root: Path,
              start: float) -> tuple[np.ndarray, dict[int, str]]:
        if self.limit <= 0 or len(files) < CACHE_FROM:
            return images.decode_files(files, mode, size, root)
        name = entry_name(under, mode, size)
        expected = {"format": FORMAT, "folder": str(under), "mode": mode, "size": list(size), "count": len(files),
                    "files": listing_digest(files, under)}
        found = self._fetch(name, expected, files, root)
        if found is not None:
            self.notes.append(trn("read {count:,} image from the cache in {seconds:.1f} s",
                                  "read {count:,} images from the cache in {seconds:.1f} s", len(files),
                                  count=len(files), seconds=time.perf_counter() - start))
            return found
        return self._decode_and_store(name, expected, files, root, start)

    def _fetch(self, name: str, expected: dict, files: list[Path],
               root: Path) -> tuple[np.ndarray, dict[int, str]] | None:
        """The entry's pixels and the messages of its unreadable files, or None when it is missing, stale or
        damaged in any way (then it is rebuilt)."""
        manifest_path = self.folder / f"{name}.json"
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if any(manifest.get(key) != value for key, value in expected.items()):
                return None
            # Copy-on-write: pages come from the file as they are read, and torch may take the array as it is.
            pixels = np.load(self.folder / f"{name}.npy", mmap_mode="c", allow_pickle=False)
            h, w = expected["size"]
            if pixels.shape != (len(files), h, w, len(expected["mode"])) or pixels.dtype != np.uint8:
                return None
            if zlib.crc32(pixels) != manifest["crc32"]:
                return None
            unreadable = [int(i) for i in manifest["unreadable"]]
        except Exception:  # noqa: BLE001 - a damaged entry can fail anywhere in json or numpy; it is only a cache
            return None
        failures = self._messages(unreadable, files, expected["mode"], tuple(expected["size"]), root)
        if failures is None:
            return None
        with contextlib.suppress(OSError):  # its time of last use, which eviction goes by (a read-only cache serves)
            os.utime(manifest_path)
        return pixels, failures

    @staticmethod
    def _messages(unreadable: list[int], files: list[Path], mode: str, size: Shape,
                  root: Path) -> dict[int, str] | None:
        """The messages of the files the entry could not read, made again now (in today's language); None when
        one of them reads now after all (the entry is then stale)."""
        if any(not 0 <= i < len(files) for i in unreadable):
            return None
        if not unreadable:
            return {}
        _pixels, messages = images.decode_files([files[i] for i in unreadable], mode, size, root)
        if len(messages) != len(unreadable):
            return None
        return {unreadable[j]: message for j, message in messages.items()}

    def _decode_and_store(self, name: str, expected: dict, files: list[Path], root: Path,
                          start: float) -> tuple[np.ndarray, dict[int, str]]:
        h, w = expected["size"]
        shape = (len(files), h, w, len(expected["mode"]))
        header = _npy_header(shape)
        total = len(header) + int(np.prod(shape))
        if total > self.limit:
            pixels, failures = images.decode_files(files, expected["mode"], (h, w), root)
            self.notes.append(tr("decoded {count:,} images in {seconds:.1f} s; not cached: {size:,} MB is more than "
                                 "the cache's {limit:,} MB ({variable})", count=len(files),
                                 seconds=time.perf_counter() - start, size=-(-total // 1024**2),
                                 limit=self.limit // 1024**2, variable=LIMIT_VARIABLE))
            return pixels, failures
        # The pixels are decoded straight into the bytes of the file to be: no copy to write them.
        buffer = bytearray(total)
        buffer[:len(header)] = header
        pixels = np.frombuffer(buffer, dtype=np.uint8, offset=len(header)).reshape(shape)
        _pixels, failures = images.decode_files(files, expected["mode"], (h, w), root, out=pixels)
        manifest = {**expected, "unreadable": sorted(failures), "crc32": zlib.crc32(pixels)}
        seconds = time.perf_counter() - start
        try:
            self._write(name, buffer, manifest)
        except OSError as error:
            self.notes.append(tr("decoded {count:,} images in {seconds:.1f} s; not cached: {error}",
                                 count=len(files), seconds=seconds, error=error))
            return pixels, failures
        self.notes.append(trn("decoded {count:,} image in {seconds:.1f} s, kept in {cache} for the next run",
                              "decoded {count:,} images in {seconds:.1f} s, kept in {cache} for the next run",
                              len(files), count=len(files), seconds=seconds,
                              cache=show_path(self.folder, self.root, True)))
        return pixels, failures

    def _write(self, name: str, buffer: bytearray, manifest: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.folder.parent / ".gitignore"
        if not ignore.exists():  # decoded copies of the data: never worth committing
            atomic_write_text(ignore, "# NN Builder's decoded images: safe to delete, made again when needed\n*\n")
        atomic_write_bytes(self.folder / f"{name}.npy", buffer)  # the pixels first: see the module's docstring
        atomic_write_text(self.folder / f"{name}.json", json.dumps(manifest))
        self.evict(keep=name)

    def evict(self, keep: str = "") -> None:
        """Delete the entries used longest ago until the cache fits its bound (the entry `keep` stays), and what
        killed writers left behind."""
        entries, total = [], 0
        for npy in self.folder.glob("*.npy"):
            manifest, size = npy.with_suffix(".json"), 0
            try:
                size = npy.stat().st_size
                used = manifest.stat().st_mtime
            except OSError:
                used = 0.0  # pixels without their manifest: of no use, first to go
            total += size
            entries.append((used, npy.stem, size))
        for _used, name, size in sorted(entries):
            if total <= self.limit:
                break
            if name != keep:
                self._remove(name)
                total -= size
        now = time.time()
        for leftover in self.folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                if now - leftover.stat().st_mtime > LEFTOVER_AGE:
                    leftover.unlink()

    def _remove(self, name: str) -> None:
        for suffix in (".json", ".npy"):  # the manifest first: pixels without one are never used
            with contextlib.suppress(OSError):
                (self.folder / f"{name}{suffix}").unlink()


def entry_name(folder: Path, mode: str, size: Shape) -> str:
    """The entry of a folder read with these settings (the same folder read at another size is another entry)."""
    key = f"{FORMAT}\n{folder.resolve()}\n{mode}\n{'x'.join(map(str, size))}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def listing_digest(files: list[Path], under: Path) -> str:
    """A digest of the files' paths (relative to `under`), sizes and modification times: any file added,
    removed, renamed or rewritten changes it."""
    digest = hashlib.sha256()
    prefix = str(under) + os.sep
    for path in files:
        name = str(path)  # strings: pathlib's stat and relative_to cost seconds over 60,000 files
        try:
            stat = os.stat(name)
            facts = f"{stat.st_size}\t{stat.st_mtime_ns}"
        except OSError:
            facts = "missing"  # decoding names it
        relative = name[len(prefix):] if name.startswith(prefix) else name
        digest.update(f"{relative.replace(os.sep, '/')}\t{facts}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _npy_header(shape: tuple[int, ...]) -> bytes:
    """The bytes np.save writes before the pixels of a uint8 array of `shape`."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": "|u1", "fortran_order": False, "shape": shape})
    return out.getvalue()
