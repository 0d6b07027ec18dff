"""Reading a file of tensors without ever running anything in it, and saying in words what is wrong with
one that cannot be read.

Two formats: torch's (`.pt`, `.pth`, `.bin`, `.ckpt`: a zip holding a pickle, or an older bare pickle)
and safetensors. A pickle can name any Python function to call while it loads; `weights_only=True` lets
through only tensors and plain containers, so a hostile file is refused before anything in it runs. A
safetensors file holds no code; its header is checked here before safetensors reads it, so a header that
lies (about its length, its offsets, its number types) gets a message of its own and never makes us
allocate what it asks for.

The format is told from the file's first bytes, not its name: a `.bin` or `.ckpt` is as welcome as a `.pt`.
"""

from __future__ import annotations

import json
import math
import pickle
import re
import warnings
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

from builder.core.i18n import tr

ZIP_MAGIC = b"PK\x03\x04"  # torch.save's format since PyTorch 1.6
PICKLE_MAGIC = b"\x80"  # the protocol opcode every torch pickle (the format before 1.6) starts with
MAX_HEADER_BYTES = 100_000_000  # safetensors refuses larger headers; so do we, before reading one
SAFETENSORS_BITS = {  # bits per value of each safetensors number type
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "I64": 64, "U64": 64, "F64": 64,
    "C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}


class FileProblem(Exception):
    """What is wrong with a file, worded to follow its path: `f"{path}: {problem}"`."""


def read_tensor_file(path: Path) -> Any:
    """What the file holds (a dict of tensors, normally), read safely; FileProblem says why it cannot be."""
    head = _first_bytes(path)
    if _format(path, head) == "safetensors":
        check_safetensors_header(path)
        return _load_safetensors(path)
    return _load_torch(path, head)


def _first_bytes(path: Path) -> bytes:
    if not path.exists():
        raise FileProblem(tr("the file does not exist"))
    if path.is_dir():
        raise FileProblem(tr("is a folder, not a file"))
    if not path.is_file():  # a pipe or a device: reading it could block forever
        raise FileProblem(tr("is not a regular file"))
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError as exc:
        raise FileProblem(tr("cannot be read ({reason})", reason=exc.strerror or exc)) from None
    if not head:
        raise FileProblem(tr("the file is empty (0 bytes): it was probably not written or copied completely"))
    return head


def _format(path: Path, head: bytes) -> str:
    if _is_text(head):  # before the rest: a binary file's first bytes are never all text
        raise FileProblem(tr("is a text file, not a weights file (a .pt or .safetensors file written by torch)"))
    if head[8:9] == b"{":  # safetensors: 8 bytes of header length, then the JSON header
        return "safetensors"
    if head.startswith((ZIP_MAGIC, PICKLE_MAGIC)):
        return "torch"
    if path.suffix.lower() == ".safetensors":
        return "safetensors"  # damaged near its start: the header check says how
    if path.suffix.lower() == ".onnx":
        raise FileProblem(tr("is an ONNX model, not a weights file: load the .pt or .safetensors file instead"))
    # Not handed to torch: it could only fail, with a message about pickles that would mislead here.
    raise FileProblem(tr("is neither a PyTorch file nor a safetensors file"))


def _is_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut in two by the 512-byte window
            return False
        text = head[:exc.start].decode("utf-8")
    return all(c.isprintable() or c in "\t\r\n" for c in text)


# -- torch's format --------------------------------------------------------------------------------


def _load_torch(path: Path, head: bytes) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # old pickle protocols, TorchScript, TypedStorage: said below, in words
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a damaged or foreign file
        raise FileProblem(_torch_problem(exc, head)) from None


def _torch_problem(exc: Exception, head: bytes) -> str:
    text = str(exc)
    refused = re.search(r"GLOBAL ([\w.]+)", text)
    if refused:
        return tr("holds something other than plain tensors ({name}, which could run code when loaded), so it was "
                  "not opened; save only the weights where it was made: torch.save(model.state_dict(), path)",
                  name=refused.group(1))
    if isinstance(exc, pickle.UnpicklingError) and "Weights only load failed" in text:
        return tr("holds something other than plain tensors, so it was not opened; save only the weights where it "
                  "was made: torch.save(model.state_dict(), path)")
    if "TorchScript" in text:
        return tr("is a TorchScript model, not a weights file: load the .pt or .safetensors weights it was made from")
    if "record size" in text:
        return tr("is damaged: a tensor has fewer bytes than it should (the file was cut short or overwritten)")
    if "magic number" in text:
        return tr("is a Python pickle but not a PyTorch file")
    if head.startswith(ZIP_MAGIC):
        if "data.pkl" in text or "subdirectory" in text:
            return tr("is a zip archive but not a PyTorch file")
        return tr("is cut short or damaged: not a complete PyTorch file (it was not written or copied completely?)")
    return tr("is cut short or damaged (an old-style PyTorch file that cannot be read to its end)")


# -- safetensors -----------------------------------------------------------------------------------


def check_safetensors_header(path: Path) -> None:
    """Refuse a header that lies, without reading more than the file holds or allocating what it claims."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise FileProblem(tr("is cut short: a safetensors file starts with 8 bytes giving its header's length, "
                                 "this one has only {count} bytes", count=len(prefix)))
        length = int.from_bytes(prefix, "little")
        if length > size - 8:
            raise FileProblem(tr("is cut short or not a safetensors file: its header should be {length:,} bytes "
                                 "long but only {left:,} bytes follow", length=length, left=size - 8))
        if length > MAX_HEADER_BYTES:
            raise FileProblem(tr("is not a usable safetensors file: its header is {length:,} bytes, more than the "
                                 "{limit:,} a safetensors file may have", length=length, limit=MAX_HEADER_BYTES))
        raw = handle.read(length)
    entries = _header_entries(_header_json(raw))
    problem = _layout_problem(entries, size - 8 - length)
    if problem:
        raise FileProblem(tr("is not a valid safetensors file: {problem}", problem=problem))


def _header_json(raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FileProblem(tr("is not a valid safetensors file: its header is not JSON (the file is damaged or in "
                             "another format)")) from None
    if not isinstance(header, dict):
        raise FileProblem(tr("is not a valid safetensors file: its header is not a table of tensors"))
    return header


def _header_entries(header: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(name, first byte, end byte) of each tensor, each checked to hold the bytes its type and shape need."""
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise FileProblem(tr("is not a valid safetensors file: its __metadata__ is not a table of texts"))
    entries = []
    for name, entry in header.items():
        problem = _entry_problem(entry)
        if problem:
            raise FileProblem(tr("is not a valid safetensors file: tensor '{name}' {problem}", name=name,
                                 problem=problem))
        begin, end = entry["data_offsets"]
        entries.append((name, begin, end))
    return entries


def _entry_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return tr("is not described by a table")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in SAFETENSORS_BITS:
        return tr("has a number type safetensors does not know ({dtype})", dtype=repr(dtype))
    if not isinstance(shape, list) or not all(_is_count(n) for n in shape):
        return tr("has a shape that is not a list of sizes ({shape})", shape=repr(shape))
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_count(n) for n in offsets):
        return tr("has data offsets that are not two byte positions ({offsets})", offsets=repr(offsets))
    begin, end = offsets
    if end < begin:
        return tr("ends (byte {end:,}) before it begins (byte {begin:,})", end=end, begin=begin)
    values = math.prod(shape)
    if values * SAFETENSORS_BITS[dtype] != 8 * (end - begin):
        return tr("is {values:,} values of {dtype} ({bytes:,g} bytes) but its offsets span {span:,} bytes",
                  values=values, dtype=dtype, bytes=values * SAFETENSORS_BITS[dtype] / 8, span=end - begin)
    return None


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _layout_problem(entries: list[tuple[str, int, int]], data_bytes: int) -> str | None:
    """The tensors must tile the data exactly: none past its end, none sharing a byte, no byte left over."""
    covered, previous = 0, None
    for name, begin, end in sorted(entries, key=lambda e: (e[1], e[2])):
        if end > data_bytes:
            return tr("tensor '{name}' ends at byte {end:,} but the data holds only {size:,} bytes (the file was cut "
                      "short?)", name=name, end=end, size=data_bytes)
        if begin < covered:
            return tr("tensors '{first}' and '{second}' claim the same bytes", first=previous, second=name)
        if begin > covered:
            return tr("bytes {start:,} to {end:,} of the data belong to no tensor", start=covered, end=begin)
        covered, previous = end, name
    if covered < data_bytes:
        return tr("the last {count:,} bytes of the data belong to no tensor", count=data_bytes - covered)
    return None


def _load_safetensors(path: Path) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(path))
    except Exception as exc:  # a case the header check above does not word; still refused, never run
        detail = _first_line(exc).removeprefix("Error while deserializing header: ")
        raise FileProblem(tr("is not a valid safetensors file ({detail})", detail=detail)) from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
