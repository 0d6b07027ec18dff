"""Every kind of data source, and the one entry point that checks a `data.source` object and reads it.

Each reader module declares its own SourceKind (and the tasks it can serve); this module only
collects them, so adding a source is one new module and one line here.
"""

from __future__ import annotations

import difflib
from typing import Any

from builder.core.problems import printable
from builder.train.data import arrays, csv_source, idx, images, synthetic
from builder.train.data.base import TASKS, DataError, LoadedData, SourceKind, SourceRequest

SOURCES: dict[str, SourceKind] = {
    kind.kind: kind for kind in (synthetic.KIND, images.KIND, arrays.NPZ, arrays.NPY, idx.KIND, csv_source.KIND)
}


# Keys that name a file or folder (resolved against the project's folder).
_PATHS = {("image_folder", "path"), ("image_folder", "targets"), ("npz", "path"), ("npy", "x"), ("npy", "y"),
          ("idx", "images"), ("idx", "labels"), ("csv", "path")}


def path_keys(kind: SourceKind) -> list[str]:
    return [key for key in kind.keys if (kind.kind, key) in _PATHS]


def load_source(request: SourceRequest) -> LoadedData:
    """Check the spec (kind, keys, required keys, task), then read the data. Raises DataError."""
    source = check_spec(request.spec, request.task)
    try:
        return source.load(request)
    except OSError as error:  # permission denied, a folder where a file should be, a disk error...
        where = error.filename if error.filename is not None else "data.source"
        raise DataError(f"{where}: {error.strerror or error}") from error


def check_spec(spec: Any, task: str) -> SourceKind:
    """The SourceKind a spec names, once its keys and the task are known to suit it."""
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
    for key in source.required:
        if key not in spec or spec[key] is None or spec[key] == "":
            raise DataError(f"{kind} needs '{key}': {source.keys[key]}")
    for key in path_keys(source):
        # Checked before anything asks the file system: a NUL in a path makes Python raise ValueError there.
        value = spec.get(key)
        if value is not None and not (isinstance(value, str) and value.isprintable()):
            raise DataError(f"{kind}'s '{key}' must be the path of a file or folder, as text; got {_show(value)}")
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
