"""Every kind of data source, declared once, and the one entry point that checks a `data.source` object and reads it.

A source's keys are Params, like a block's parameters: kind (number, choice, file, folder, list of
names), default, range and help. The check, the Training panel's editors (with a file or folder
picker where a key is a path) and the docs are made from these declarations. The readers live in their
own modules and only read; adding a source is one reader module and one declaration here.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from builder.blocks.params import CHOICE, FILE, FLOAT, FOLDER, INT, PATH_KINDS, TEXT, TEXT_LIST, Param
from builder.core.i18n import N_, tr
from builder.core.problems import printable
from builder.train.data import arrays, csv_source, idx, image_cache, synthetic
from builder.train.data.base import TASKS, DataError, LoadedData, SourceRequest


@dataclass(frozen=True)
class SourceKind:
    kind: str  # the value of data.source.kind
    label: str  # for a menu: "Image folder" (marked with N_: tr(label) where shown)
    description: str  # marked with N_, as the label, and the params' help and unset
    params: tuple[Param, ...]  # the keys it takes besides "kind"
    load: Callable[[SourceRequest], LoadedData]
    tasks: tuple[str, ...] = TASKS  # the tasks it can give data for
    variant: str | None = None  # a choice key whose every value is a source of its own in a menu (synthetic sets)

    @property
    def keys(self) -> dict[str, str]:
        """Each key and its help (English: tr(help) where shown)."""
        return {p.name: p.help for p in self.params}

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)


# Labels, descriptions and helps are marked with N_ and stay English here: the places that show them call tr().
SOURCES: dict[str, SourceKind] = {kind.kind: kind for kind in (
    SourceKind(
        "synthetic", N_("Built-in"), N_("made-up data for trying a model: shapes (images of 4 shapes) or blobs "
                                         "(clustered points)"), (
            Param("name", CHOICE, N_("shapes: images of circles, squares, triangles and crosses; blobs: points in "
                                     "clusters (vectors)"), default="shapes", choices=synthetic.NAMES),
            Param("samples", INT, N_("How many samples to make."), default=2000, min=1, max=10_000_000),
            Param("noise", FLOAT, N_("How much random noise to add: its standard deviation."), default=0.1, min=0.0),
            Param("classes", INT, N_("blobs only: how many clusters."), default=None, min=2, max=1000, optional=True,
                  unset=N_("3 (blobs only)")),
            Param("seed", INT, N_("The random seed: the same seed makes the same data; empty: the training seed."),
                  default=None, optional=True, unset=N_("the training seed")),
        ), synthetic.load, variant="name"),
    SourceKind(
        "image_folder", N_("Image folder"), N_("a folder of images (.png, .jpg, .jpeg, .bmp); for classification, "
                                               "one subfolder per class"), (
            Param("path", FOLDER, N_("The folder of images, relative to the project folder.")),
            Param("targets", FOLDER, N_("regression only: a folder of target images with the same file names."),
                  default=None, optional=True, unset=N_("none")),
        ), image_cache.load),  # images.load, with decoded folders kept for the next run
    SourceKind(
        "npz", N_("NumPy .npz file"), N_("a NumPy .npz file holding an array of inputs and one of labels or "
                                         "targets"), (
            Param("path", FILE, N_("The .npz file, relative to the project folder.")),
            Param("x", TEXT, N_("The name of the input array inside the file."), default="x"),
            Param("y", TEXT, N_("The name of the label or target array inside the file."), default="y"),
        ), arrays.load_npz),
    SourceKind(
        "npy", N_("NumPy .npy files"), N_("two NumPy .npy files: one of inputs, one of labels or targets"), (
            Param("x", FILE, N_("The .npy file of inputs, relative to the project folder.")),
            Param("y", FILE, N_("The .npy file of labels or targets (not needed for reconstruction)."), default=None,
                  optional=True, unset=N_("none")),
        ), arrays.load_npy),
    SourceKind(
        "idx", N_("MNIST files (IDX)"), N_("MNIST-style IDX files (raw or .gz): one of images, one of labels"), (
            Param("images", FILE, N_("The IDX image file, e.g. train-images-idx3-ubyte.gz, relative to the project "
                                     "folder.")),
            Param("labels", FILE, N_("The IDX label file, e.g. train-labels-idx1-ubyte.gz (needed for "
                                     "classification)."), default=None, optional=True, unset=N_("none")),
        ), idx.load, tasks=("classification", "reconstruction")),  # IDX labels are classes: no regression targets
    SourceKind(
        "csv", N_("CSV table"), N_("a CSV table with a header row: numeric feature columns and a target column"), (
            Param("path", FILE, N_("The .csv file, relative to the project folder.")),
            Param("target", TEXT, N_("The target column's name; empty: the last column (reconstruction: none)."),
                  default=None, optional=True, unset=N_("the last column")),
            Param("columns", TEXT_LIST, N_("The feature columns' names; empty: every column but the target."),
                  default=None, optional=True, unset=N_("every column but the target")),
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
        raise DataError(f"{where}: {error.strerror or error}") from error  # the system's own words


def check_spec(spec: Any, task: str) -> SourceKind:
    """The SourceKind a spec names, once its keys, their values and the task are known to suit it."""
    known = ", ".join(sorted(SOURCES))
    if not isinstance(spec, dict):
        raise DataError(tr("data.source must be an object with a 'kind' (one of {kinds})", kinds=known))
    kind = spec.get("kind")
    if kind is None:
        raise DataError(tr("data.source has no 'kind'; known kinds: {kinds}", kinds=known))
    if kind not in SOURCES:
        close = _closest(str(kind), list(SOURCES))
        if close:
            raise DataError(tr("unknown data source kind {kind} (did you mean '{close}'?); known kinds: {kinds}",
                               kind=_show(kind), close=close, kinds=known))
        raise DataError(tr("unknown data source kind {kind}; known kinds: {kinds}", kind=_show(kind), kinds=known))
    source = SOURCES[kind]
    for key in spec:
        if key != "kind" and key not in source.keys:
            allowed = ", ".join(source.keys)
            close = _closest(str(key), list(source.keys))
            if close:
                raise DataError(tr("unknown key {key} (did you mean '{close}'?); {kind} takes: {keys}",
                                   key=_show(key), close=close, kind=kind, keys=allowed))
            raise DataError(tr("unknown key {key}; {kind} takes: {keys}", key=_show(key), kind=kind, keys=allowed))
    for param in source.params:
        if param.required and spec.get(param.name) in (None, ""):
            raise DataError(tr("{kind} needs '{key}': {help}", kind=kind, key=param.name, help=tr(param.help)))
        if param.name in spec:
            # Checked under the name the message gives it: "synthetic 'samples' must be at least 1, got 0".
            _value, error = replace(param, name=f"{kind} '{param.name}'").validate(spec[param.name])
            if error:
                raise DataError(error)
    if task not in TASKS:
        raise DataError(tr("unknown task {task}; the task must be one of {tasks}", task=_show(task),
                           tasks=", ".join(TASKS)))
    tasks = source.tasks
    if task not in tasks:
        raise DataError(tr("{kind} data cannot be used for {task}; it can be used for {tasks}", kind=kind, task=task,
                           tasks=", ".join(tasks)))
    return source


def _closest(word: str, words: list[str]) -> str | None:
    close = difflib.get_close_matches(word, words, n=1)
    return close[0] if close else None


def _show(value: Any) -> str:
    # A key from the file, echoed raw, could break the message's line or carry a terminal control code.
    return f"'{printable(value, 40)}'" if isinstance(value, str) else printable(repr(value), 40)
