"""What the commands share: loading a project with a clear message, and printing tables."""

from __future__ import annotations

import sys

from builder.core.i18n import ENGLISH, normalized
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


def take_language_option(argv: list[str]) -> tuple[list[str], str | None]:
    """`--lang CODE` or `--lang=CODE`, wherever it is on the line, taken out (the language must be set before
    the parser's help is written); (the rest, CODE or None)."""
    rest, code = [], None
    items = iter(argv)
    for item in items:
        if item == "--lang":
            code = next(items, None)
            if code is None:
                raise ArgumentError("builder: --lang needs a language: en or zh_CN")
        elif item.startswith("--lang="):
            code = item.split("=", 1)[1]
        else:
            rest.append(item)
    if code is not None and normalized(code) == ENGLISH and not code.lower().startswith(("en", "c")):
        raise ArgumentError(f"builder: --lang {code}: not a language NN Builder has; use en or zh_CN")
    return rest, code

