"""Every kind of data source, declared once, and the one entry point that checks a `data.source` object and reads it.

A source's keys are Params, like a block's parameters: kind (number, choice, file, folder, list of
names), default, range and help. The check, the Training panel's editors (with a file or folder
picker where a key is a path) and the docs are made from these declarations. The readers live in their
own modules and only read; adding a source is one reader module and one declaration here.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from builder.blocks.params import CHOICE, FILE, FLOAT, FOLDER, INT, PATH_KINDS, TEXT, TEXT_LIST, Param
from builder.core.problems import printable
from builder.train.data import arrays, csv_source, idx, images, synthetic
from builder.train.data.base import TASKS, DataError, LoadedData, SourceRequest


@dataclass(frozen=True)
class SourceKind:
    kind: str  # the value of data.source.kind
    label: str  # for a menu: "Image folder"
    description: str
    params: tuple[Param, ...]  # the keys it takes besides "kind"
    load: Callable[[SourceRequest], LoadedData]
    tasks: tuple[str, ...] = TASKS  # the tasks it can give data for
    variant: str | None = None  # a choice key whose every value is a source of its own in a menu (synthetic sets)

    @property
    def keys(self) -> dict[str, str]:
        """Each key and its help."""
        return {p.name: p.help for p in self.params}

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)


_IN_FOLDER = "relative to the project folder"

SOURCES: dict[str, SourceKind] = {kind.kind: kind for kind in (
    SourceKind(
        "synthetic", "Built-in", "made-up data for trying a model: shapes (images of 4 shapes) or blobs (clustered "
        "points)", (
            Param("name", CHOICE, "shapes: images of circles, squares, triangles and crosses; blobs: points in "
                  "clusters (vectors)", default="shapes", choices=synthetic.NAMES),
            Param("samples", INT, "How many samples to make.", default=2000, min=1, max=10_000_000),
            Param("noise", FLOAT, "How much random noise to add: its standard deviation.", default=0.1, min=0.0),
            Param("classes", INT, "blobs only: how many clusters.", default=None, min=2, max=1000, optional=True,
                  unset="3 (blobs only)"),
            Param("seed", INT, "The random seed: the same seed makes the same data; empty: the training seed.",
                  default=None, optional=True, unset="the training seed"),
        ), synthetic.load, variant="name"),
    SourceKind(
        "image_folder", "Image folder", "a folder of images (.png, .jpg, .jpeg, .bmp); for classification, one "
        "subfolder per class", (
            Param("path", FOLDER, f"The folder of images, {_IN_FOLDER}."),
            Param("targets", FOLDER, "regression only: a folder of target images with the same file names.",
                  default=None, optional=True, unset="none"),
        ), images.load),
    SourceKind(
        "npz", "NumPy .npz file", "a NumPy .npz file holding an array of inputs and one of labels or targets", (
            Param("path", FILE, f"The .npz file, {_IN_FOLDER}."),
            Param("x", TEXT, "The name of the input array inside the file.", default="x"),
            Param("y", TEXT, "The name of the label or target array inside the file.", default="y"),
        ), arrays.load_npz),
    SourceKind(
        "npy", "NumPy .npy files", "two NumPy .npy files: one of inputs, one of labels or targets", (
            Param("x", FILE, f"The .npy file of inputs, {_IN_FOLDER}."),
            Param("y", FILE, "The .npy file of labels or targets (not needed for reconstruction).", default=None,
                  optional=True, unset="none"),
        ), arrays.load_npy),
    SourceKind(
        "idx", "MNIST files (IDX)", "MNIST-style IDX files (raw or .gz): one of images, one of labels", (
            Param("images", FILE, f"The IDX image file, e.g. train-images-idx3-ubyte.gz, {_IN_FOLDER}."),
            Param("labels", FILE, "The IDX label file, e.g. train-labels-idx1-ubyte.gz (needed for classification).",
                  default=None, optional=True, unset="none"),
        ), idx.load, tasks=("classification", "reconstruction")),  # IDX labels are classes: no regression targets
    SourceKind(
        "csv", "CSV table", "a CSV table with a header row: numeric feature columns and a target column", (
            Param("path", FILE, f"The .csv file, {_IN_FOLDER}."),
            Param("target", TEXT, "The target column's name; empty: the last column (reconstruction: none).",
                  default=None, optional=True, unset="the last column"),
            Param("columns", TEXT_LIST, "The feature columns' names; empty: every column but the target.",
                  default=None, optional=True, unset="every column but the target"),
        ), csv_source.load),
)}


def path_keys(kind: SourceKind) -> list[str]:
    """The keys that name a file or folder (resolved against the project's folder)."""
    return [p.name for p in kind.params if p.kind in PATH_KINDS]


def load_source(request: SourceRequest) -> LoadedData:
    """Check the spec (kind, keys, required keys, task), then read the data. Raises DataError."""
    source = check_spec(request.spec, request.task)
    try:
        return source.load(request)
    except OSError as error:  # permission denied, a folder where a file should be, a disk error...
        where = error.filename if error.filename is not None else "data.source"
        raise DataError(f"{where}: {error.strerror or error}") from error


def check_spec(spec: Any, task: str) -> SourceKind:
    """The SourceKind a spec names, once its keys, their values and the task are known to suit it."""
    known = ", ".join(sorted(SOURCES))
    if not isinstance(spec, dict):
        raise DataError(f"data.source must be an object with a 'kind' (one of {known})")
    kind = spec.get("kind")
    if kind is None:
        raise DataError(f"data.source has no 'kind'; known kinds: {known}")
    if kind not in SOURCES:
        raise DataError(
            f"unknown data source kind {_show(kind)}{_closest(str(kind), list(SOURCES))}; known kinds: {known}"
        )
    source = SOURCES[kind]
    for key in spec:
        if key != "kind" and key not in source.keys:
            allowed = ", ".join(source.keys)
            raise DataError(f"unknown key {_show(key)}{_closest(str(key), list(source.keys))}; {kind} takes: {allowed}")
    for param in source.params:
        if param.required and spec.get(param.name) in (None, ""):
            raise DataError(f"{kind} needs '{param.name}': {param.help}")
        if param.name in spec:
            _value, error = param.validate(spec[param.name])
            if error:  # "samples must be at least 1, got 0" -> "synthetic 'samples' must be at least 1, got 0"
                raise DataError(f"{kind} '{param.name}' {error.removeprefix(param.name).strip()}")
    if task not in TASKS:
        raise DataError(f"unknown task {_show(task)}; the task must be one of {', '.join(TASKS)}")
    tasks = source.tasks
    if task not in tasks:
        raise DataError(f"{kind} data cannot be used for {task}; it can be used for {', '.join(tasks)}")
    return source


def _closest(word: str, words: list[str]) -> str:
    close = difflib.get_close_matches(word, words, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _show(value: Any) -> str:
    # A key from the file, echoed raw, could break the message's line or carry a terminal control code.
    return f"'{printable(value, 40)}'" if isinstance(value, str) else printable(repr(value), 40)
