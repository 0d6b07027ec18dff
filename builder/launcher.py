"""The `builder` command: the app for `builder` or `builder PROJECT`, the command line for the rest.

It sits above both the CLI and the UI, which never import each other.
"""

from __future__ import annotations

import sys

from builder.cli import COMMAND_NAMES, fail
from builder.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and (argv[0] in COMMAND_NAMES or argv[0].startswith("-")):
        return cli_main(argv)
    if len(argv) > 1:
        return fail(f"builder: expected one project file to open, got {len(argv)} arguments (see builder --help)", 2)
    from builder.ui.app import run_app  # Qt loads only for the window

    return run_app(argv[0] if argv else None)
