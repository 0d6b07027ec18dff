"""`builder export PROJECT --code OUT.py`: the generated PyTorch source of the project's models."""

from __future__ import annotations

import argparse
from pathlib import Path

from builder.cli.common import ArgumentError, open_project
from builder.core.atomic import atomic_write_text

NAME = "export"


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        NAME, help="write the generated PyTorch code of a project's models",
        description="Write the Python source generated from the project's graphs: one nn.Module class per "
                    "model, importing only torch. The app trains modules built from this same source.")
    parser.add_argument("project", metavar="PROJECT", help="project file (.json)")
    parser.add_argument("--code", metavar="OUT.py", required=True, help="where to write the source")
    parser.add_argument("--model", metavar="NAME", help="export only this model (default: all models)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from builder.compile import CompileError, generate_code  # torch loads here, not for every command

    project = open_project(args.project, args.model)
    try:
        code = generate_code(project, [args.model] if args.model else None)
    except CompileError as exc:
        several = len({model for model, _ in exc.problems}) > 1
        for model, problem in exc.problems:
            print(f"{model}/{problem}" if several else str(problem))
        return 1
    out = Path(args.code)
    if not out.parent.is_dir():
        raise ArgumentError(f"{out}: the folder {out.parent} does not exist")
    atomic_write_text(out, code.source)
    print(f"wrote {out} ({', '.join(code.class_names.values())})")
    return 0
