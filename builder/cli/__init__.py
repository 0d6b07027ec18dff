"""The command line: `builder check|export|train|eval|predict|activations|import` over the same engine as the app."""

from __future__ import annotations

import argparse
import os
import sys

from builder import __version__
from builder.cli import (
    activations_cmd,
    blocks_cmd,
    check_cmd,
    eval_cmd,
    export_cmd,
    import_cmd,
    predict_cmd,
    templates_cmd,
    train_cmd,
)
from builder.cli.common import ArgumentError, fail, take_language_option
from builder.core.atomic import WriteError
from builder.core.i18n import LANGUAGES, set_language, tr
from builder.core.project import ProjectError

COMMANDS = (check_cmd, export_cmd, train_cmd, eval_cmd, predict_cmd, activations_cmd, import_cmd, blocks_cmd,
            templates_cmd)
COMMAND_NAMES = frozenset(name for module in COMMANDS for name in getattr(module, "NAMES", (module.NAME,)))


class _Parser(argparse.ArgumentParser):
    """Argument mistakes get one clear line and exit status 2, not a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ArgumentError(f"{self.prog}: {message} (see {self.prog} --help)")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="builder",
        description="NN Builder: build PyTorch networks from blocks, check them, export their code, train them. "
                    "`builder` alone opens the app with the example project; `builder PROJECT` opens a file.",
        usage="builder [PROJECT] | builder COMMAND ...",
        epilog="Run `builder COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"NN Builder {__version__}")
    parser.add_argument("--lang", metavar="CODE", choices=sorted(LANGUAGES),
                        help=tr("the language of messages: en or zh_CN (default: from LANGUAGE, LC_ALL, LC_MESSAGES "
                                "or LANG)"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS:
        module.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        argv, language = take_language_option(argv)
        set_language(language)
        parser = make_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return args.run(args)
    except ArgumentError as exc:
        return fail(str(exc), 2)
    except ProjectError as exc:
        return fail(str(exc), 2)
    except WriteError as exc:
        return fail(f"builder: {exc}", 2)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except BrokenPipeError:
        # The reader went away (`builder blocks | head`): stop quietly. Standard output is pointed at devnull
        # so that Python's flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
