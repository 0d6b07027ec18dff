"""What the commands share: loading a project with a clear message, and printing tables."""

from __future__ import annotations

import sys

from builder.core.project import Project, load_project


class ArgumentError(Exception):
    """A mistake in the command line or a file it names: one line, exit status 2."""


def fail(message: str, status: int) -> int:
    print(message, file=sys.stderr)
    return status


def open_project(path: str, model: str | None = None) -> Project:
    project = load_project(path)
    if model is not None and model not in [m.name for m in project.models]:
        known = ", ".join(m.name for m in project.models) or "none"
        raise ArgumentError(f"{path}: no model named '{model}' (models: {known})")
    if not project.models:
        raise ArgumentError(f"{path}: the project has no models")
    return project


def table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    """Columns padded to their widest cell; the columns in `right` are right-aligned (numbers)."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        parts = [str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])
