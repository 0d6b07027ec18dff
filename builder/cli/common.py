"""What the commands share: loading a project with a clear message, and printing tables."""

from __future__ import annotations

import sys
import unicodedata

from builder.core.i18n import ENGLISH, normalized, set_language, tr
from builder.core.project import Project, load_project


class ArgumentError(Exception):
    """A mistake in the command line or a file it names: one line, exit status 2."""


def fail(message: str, status: int) -> int:
    print(message, file=sys.stderr)
    return status


def open_project(path: str, model: str | None = None) -> Project:
    project = load_project(path)
    if model is not None and model not in [m.name for m in project.models]:
        known = ", ".join(m.name for m in project.models) or tr("none")
        raise ArgumentError(tr("{path}: no model named '{model}' (models: {known})", path=path, model=model,
                               known=known))
    if not project.models:
        raise ArgumentError(tr("{path}: the project has no models", path=path))
    return project


def display_width(text: str) -> int:
    """The columns `text` takes in a terminal: a Chinese character (wide or full-width) takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded with spaces to `width` columns (as str.ljust / str.rjust, by display width)."""
    spaces = " " * max(width - display_width(text), 0)
    return spaces + text if right else text + spaces


def table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    """Columns padded to their widest cell; the columns in `right` are right-aligned (numbers). Widths are
    display widths, so Chinese headings line up with the numbers below them."""
    widths = [max(display_width(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        parts = [pad(str(c), w, right=i in right) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])


# Chinese text has no spaces to wrap at: a line may break between any two Chinese characters, never inside a
# Latin word, never before a closing mark (，。）) nor after an opening one (（《).
_CLOSING = set("，。、；：？！）》」』】〉…,.;:?!)]}")
_OPENING = set("（《「『【〈([{")


def has_wide(text: str) -> bool:
    return display_width(text) != len(text)


def wrap(text: str, width: int) -> list[str]:
    """`text` (its whitespace runs made single spaces) in lines of at most `width` columns where it can be, for
    text with Chinese in it (textwrap breaks only at spaces, and counts a Chinese character as one column)."""
    pieces: list[tuple[str, bool]] = []  # (piece, whether a space comes before it)
    for word in text.split():
        glue = False
        for n, piece in enumerate(_segments(word)):
            if pieces and n and (glue or piece[0] in _CLOSING):
                pieces[-1] = (pieces[-1][0] + piece, pieces[-1][1])
            else:
                pieces.append((piece, n == 0 and bool(pieces)))
            glue = piece[-1] in _OPENING
    lines, line = [], ""
    for piece, space in pieces:
        joined = line + (" " if space and line else "") + piece
        if line and display_width(joined) > width:
            lines.append(line)
            line = piece
        else:
            line = joined
    return [*lines, line] if line else lines


def _segments(word: str) -> list[str]:
    """A word cut where a line may break: each wide character alone, each run of narrow ones whole."""
    out: list[str] = []
    for char in word:
        if display_width(char) == 2 or not out or display_width(out[-1][-1]) == 2:
            out.append(char)
        else:
            out[-1] += char
    return out


def take_language_option(argv: list[str]) -> tuple[list[str], str | None]:
    """`--lang CODE` or `--lang=CODE`, wherever it is on the line, taken out (the language must be set before
    the parser's help is written); (the rest, CODE or None). A mistake in it is said in the environment's
    language (LANGUAGE, LC_ALL...), as it would have been without the option."""
    rest, code = [], None
    items = iter(argv)
    for item in items:
        if item == "--lang":
            code = next(items, None)
            if code is None:
                set_language(None)
                raise ArgumentError(tr("builder: --lang needs a language: en or zh_CN"))
        elif item.startswith("--lang="):
            code = item.split("=", 1)[1]
        else:
            rest.append(item)
    if code is not None and normalized(code) == ENGLISH and not code.lower().startswith(("en", "c")):
        set_language(None)
        raise ArgumentError(tr("builder: --lang {code}: not a language NN Builder has; use en or zh_CN", code=code))
    return rest, code
