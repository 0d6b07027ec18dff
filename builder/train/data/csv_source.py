"""A CSV table: the first row names the columns, each further row is one sample.

Feature columns must hold numbers. The target column holds class labels (whole numbers from
0, or names, which are numbered in sorted order) or, for regression, one number per row.
Problems are reported with the file and line, the way a spreadsheet user would look for them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch

from builder.core.i18n import tr
from builder.train.data.base import DataError, LoadedData, SourceRequest, show_path


def load(request: SourceRequest) -> LoadedData:
    path, root = request.path("path"), request.folder
    shown = show_path(path, root)
    header, rows, lines = _read(path, shown)

    target = request.spec.get("target")
    if target is not None and (not isinstance(target, str) or not target):
        raise DataError(tr("csv 'target' must be a column name, got {value}", value=repr(target)))
    columns = request.spec.get("columns")
    if columns is not None and (
        not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns)
    ):
        raise DataError(tr("csv 'columns' must be a list of column names, got {value}", value=repr(columns)))

    def index(name: str) -> int:
        if name not in header:
            raise DataError(tr("{path} has no column '{column}'; it has: {columns}", path=shown, column=name,
                               columns=", ".join(header)))
        if header.count(name) > 1:
            raise DataError(tr("{path} names column '{column}' more than once in its header", path=shown, column=name))
        return header.index(name)

    # Reconstruction needs no target: with none named, every column is a feature.
    target_at: int | None = None
    if target is not None:
        target_at = index(target)
    elif request.task != "reconstruction":
        target_at = len(header) - 1
    if columns is not None:
        features = [index(name) for name in columns]
        if target_at in features:
            raise DataError(tr("{path}: column '{column}' is both the target and a feature", path=shown,
                               column=header[target_at]))
    else:
        features = [i for i in range(len(header)) if i != target_at]
    if not features:
        raise DataError(tr("{path} has no feature columns besides the target '{column}'", path=shown,
                           column=header[target_at or 0]))
    shape = tuple(request.input_shape)
    if shape != (len(features),):
        if len(shape) == 1:
            raise DataError(tr("{path} has {count} feature columns but the model's Input takes {features} features",
                               path=shown, count=len(features), features=shape[0]))
        raise DataError(tr("{path} has {count} feature columns but the model's Input takes {shape} (a CSV row is a "
                           "vector)", path=shown, count=len(features), shape="×".join(map(str, shape))))

    x = np.stack([_numbers(rows, lines, i, header[i], shown) for i in features], axis=1).astype(np.float32)
    y: torch.Tensor | None = None
    classes: list[str] | None = None
    if request.task == "classification" and target_at is not None:
        labels, classes = _labels(rows, lines, target_at, header[target_at], shown)
        y = torch.from_numpy(labels)
    elif request.task == "regression" and target_at is not None:
        if tuple(request.output_shape) != (1,):
            raise DataError(tr("{path} has one target column ('{column}') but the model's Output gives {shape}; for "
                               "regression on a CSV the Output gives 1 value", path=shown, column=header[target_at],
                               shape="×".join(map(str, request.output_shape))))
        y = torch.from_numpy(_numbers(rows, lines, target_at, header[target_at], shown).astype(np.float32)[:, None])
    values = {"path": shown, "rows": len(rows), "features": len(features)}
    if request.task == "classification" and target_at is not None:
        description = tr("csv {path}: {rows:,} rows, {features} features, {classes} classes '{target}'",
                         classes=len(classes or []), target=header[target_at], **values)
    elif request.task == "regression" and target_at is not None:
        description = tr("csv {path}: {rows:,} rows, {features} features, regression target '{target}'",
                         target=header[target_at], **values)
    else:  # reconstruction (classification and regression always have a target column)
        description = tr("csv {path}: {rows:,} rows, {features} features, no target", **values)
    return LoadedData(dataset=None, tensors=(torch.from_numpy(x), y), classes=classes, description=description,
                      files=[path])


def _read(path: Path, shown: str) -> tuple[list[str], list[list[str]], list[int]]:
    """The header, the data rows (blank lines skipped) and each row's line number."""
    if not path.exists():
        raise DataError(tr("{path}: no such file", path=shown))
    if path.is_dir():
        raise DataError(tr("{path}: is a folder, not a CSV file", path=shown))
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: drop the BOM spreadsheets write
            reader = csv.reader(f)
            try:
                header = [name.strip() for name in next(reader)]
            except StopIteration:
                raise DataError(tr("{path} is empty; its first row must name the columns", path=shown)) from None
            if len(header) == 1 and any(sep in header[0] for sep in ";\t"):
                raise DataError(tr("{path}: the header is one column, {header}: separate values with commas",
                                   path=shown, header=repr(header[0])))
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise DataError(tr("{path} line {line}: {count} values, but the header names {columns} columns",
                                       path=shown, line=reader.line_num, count=len(row), columns=len(header)))
                rows.append(row)
                lines.append(reader.line_num)
    except UnicodeDecodeError as error:
        raise DataError(tr("{path} is not UTF-8 text ({reason} at byte {byte})", path=shown, reason=error.reason,
                           byte=error.start)) from None
    except csv.Error as error:
        raise DataError(tr("{path}: cannot be read as CSV: {error}", path=shown, error=error)) from None
    if not rows:
        raise DataError(tr("{path} has a header but no data rows", path=shown))
    return header, rows, lines


def _numbers(rows: list[list[str]], lines: list[int], at: int, name: str, shown: str) -> np.ndarray:
    """One column as float64, with the line of the first cell that is not a finite number."""
    cells = np.array([row[at] for row in rows])
    try:
        values = cells.astype(np.float64)
    except ValueError:
        for i, cell in enumerate(cells):
            try:
                float(cell)
            except ValueError:
                if not cell.strip():
                    raise DataError(tr("{path} line {line}: column '{column}' is empty", path=shown, line=lines[i],
                                       column=name)) from None
                raise DataError(tr("{path} line {line}: column '{column}' is not a number: {value}", path=shown,
                                   line=lines[i], column=name, value=repr(str(cell)))) from None
        values = np.array([float(cell) for cell in cells])  # numpy refused what Python reads ("1_000")
    finite = np.isfinite(values)
    if not finite.all():
        i = int(np.argmin(finite))
        raise DataError(tr("{path} line {line}: column '{column}' is not a finite number: {value}", path=shown,
                           line=lines[i], column=name, value=repr(str(cells[i]))))
    return values


def _labels(rows: list[list[str]], lines: list[int], at: int, name: str, shown: str) -> tuple[np.ndarray, list[str]]:
    """Class labels as int64, and the class names: whole numbers from 0 as they are, else sorted names."""
    cells = np.char.strip(np.array([row[at] for row in rows]))
    empty = cells == ""
    if empty.any():
        raise DataError(tr("{path} line {line}: the target column '{column}' is empty", path=shown,
                           line=lines[int(np.argmax(empty))], column=name))
    numbers: np.ndarray | None
    try:
        numbers = cells.astype(np.float64)
    except ValueError:
        numbers = None
    whole = numbers is not None and np.isfinite(numbers).all() and (numbers >= 0).all()
    if numbers is not None and whole and (numbers == np.round(numbers)).all():
        labels = numbers.astype(np.int64)
        return labels, [str(i) for i in range(int(labels.max()) + 1)]
    names, inverse = np.unique(cells, return_inverse=True)
    if numbers is not None:  # numeric names such as -1 and 1: order them by value, not as text
        order = np.argsort(names.astype(np.float64), kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        names, inverse = names[order], rank[inverse]
    return inverse.astype(np.int64).reshape(-1), [str(n) for n in names]
