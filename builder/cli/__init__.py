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
from builder.cli.common import ArgumentError, display_width, fail, has_wide, take_language_option, wrap
from builder.core.atomic import WriteError
from builder.core.i18n import LANGUAGES, N_, set_language, tr, trn
from builder.core.project import ProjectError

COMMANDS = (check_cmd, export_cmd, train_cmd, eval_cmd, predict_cmd, activations_cmd, import_cmd, blocks_cmd,
            templates_cmd)
COMMAND_NAMES = frozenset(name for module in COMMANDS for name in getattr(module, "NAMES", (module.NAME,)))


def _argparse_ngettext(singular: str, plural: str, n: int) -> str:
    return trn(singular, plural, n)


# argparse's own words ("usage: ", "options", "the following arguments are required: %s"...) are looked up
# through its module-level `_` and `ngettext`, called as the help or the error is written: in our catalogs.
argparse._ = tr  # type: ignore[attr-defined]
argparse.ngettext = _argparse_ngettext  # type: ignore[attr-defined]

# The ones the commands can show, marked for the catalog (their %-style places are argparse's to fill).
ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("ignored explicit argument %r"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
)


def _argparse_plurals(n: int) -> tuple[str, ...]:
    """Never called: marks argparse's plural messages for the catalog."""
    return (trn("expected %s argument", "expected %s arguments", n),)


class _Formatter(argparse.HelpFormatter):
    """argparse's help, with Chinese wrapped to the terminal's columns (a Chinese character takes two, and a line
    may break between two of them); English is wrapped by argparse itself, as before."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(text, width) if has_wide(text) else super()._split_lines(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if not has_wide(text):
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in wrap(text, width - len(indent)))

    def _format_usage(self, usage, actions, groups, prefix) -> str:  # type: ignore[no-untyped-def]
        # The continuation lines are indented by len(prefix): a stand-in as wide as a Chinese prefix keeps
        # them under the first line's arguments.
        prefix = tr("usage: ") if prefix is None else prefix
        if not has_wide(prefix):
            return super()._format_usage(usage, actions, groups, prefix)
        stand_in = "\0" * display_width(prefix)
        return super()._format_usage(usage, actions, groups, stand_in).replace(stand_in, prefix, 1)


class _Parser(argparse.ArgumentParser):
    """Argument mistakes get one clear line and exit status 2, not a usage dump."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ArgumentError(tr("{prog}: {error} (see {prog} --help)", prog=self.prog, error=message))


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="builder",
        description=tr("NN Builder: build PyTorch networks from blocks, check them, export their code, train them. "
                       "`builder` alone opens the app with the example project; `builder PROJECT` opens a file."),
        usage="builder [PROJECT] | builder COMMAND ...",
        epilog=tr("Run `builder COMMAND --help` for a command's options."),
    )
    parser.add_argument("--version", action="version", version=f"NN Builder {__version__}",
                        help=tr("show program's version number and exit"))
    parser.add_argument("--lang", metavar="CODE", choices=sorted(LANGUAGES),
                        help=tr("the language of messages: en or zh_CN (default: from LANGUAGE, LC_ALL, LC_MESSAGES "
                                "or LANG)"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, prog="builder")
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
        return fail(tr("builder: {error}", error=exc), 2)
    except KeyboardInterrupt:
        return fail(tr("interrupted"), 130)
    except BrokenPipeError:
        # The reader went away (`builder blocks | head`): stop quietly. Standard output is pointed at devnull
        # so that Python's flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
