"""The `builder` command: the app for `builder` or `builder PROJECT`, the command line for the rest.

It sits above both the CLI and the UI, which never import each other.
"""

from __future__ import annotations

import sys

from builder.cli import COMMAND_NAMES, fail
from builder.cli import main as cli_main
from builder.cli.common import ArgumentError, take_language_option
from builder.core.i18n import set_language, tr


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        rest, language = take_language_option(argv)
    except ArgumentError as exc:
        return fail(str(exc), 2)
    if rest and (rest[0] in COMMAND_NAMES or rest[0].startswith("-")):
        return cli_main(argv)
    set_language(language)
    if len(rest) > 1:
        return fail(tr("builder: expected one project file to open, got {count} arguments (see builder --help)",
                       count=len(rest)), 2)
    from builder.ui.app import run_app  # Qt loads only for the window

    return run_app(rest[0] if rest else None, language)
