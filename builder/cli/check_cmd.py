"""`builder check PROJECT`: every model's table of shapes, parameters and MACs, or its problems; then
everything training would refuse that can be found without reading the data (one code path with
`builder train` and the window: builder.train.checks)."""

from __future__ import annotations

import argparse

from builder.blocks.check import ModelReport
from builder.cli.common import open_project, table
from builder.core.shapes import format_shapes

NAME = "check"


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        NAME, help="check a project's models and show each node's output shape, parameters and MACs",
        description="Check every model of a project. Prints a table per model (node, type, output shape, "
                    "parameters, multiply-accumulates for one sample) and the totals, then checks the data and "
                    "training settings as training would (without reading the data: the settings, the loss "
                    "against the Output, a GAN's pairing, the data files named, the device) and prints the "
                    "lints; exits 0, or with problems prints one line per problem naming its node or key and "
                    "exits 1.")
    parser.add_argument("project", metavar="PROJECT", help="project file (.json)")
    parser.add_argument("--model", help="check only this model")
    parser.add_argument("--depth", type=int, default=1, metavar="N",
                        help="rows for the blocks inside uses of modules, down to N levels (1: the model's own nodes)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from builder.train.checks import check_project  # torch loads here: the device is part of the check

    project = open_project(args.project, args.model)
    check = check_project(project)
    reports = [check.reports[args.model]] if args.model else list(check.reports.values())
    several = len(reports) > 1
    failed = False
    for report in reports:
        prefix = f"{report.model.name}/" if several else ""
        if report.errors:
            failed = True
            for problem in report.errors:
                print(f"{prefix}{problem}")
            continue
        print(summary_table(report, max(args.depth, 1)))
        for problem in report.problems:
            print(f"warning: {prefix}{problem}")
        print()
    for problem in check.problems:
        print(f"warning: {problem}" if problem.warning else str(problem))
        failed = failed or not problem.warning
    return 1 if failed else 0


def summary_table(report: ModelReport, depth: int = 1) -> str:
    """Each node a row; a use of a module with its own blocks below it, indented, down to `depth` levels.
    A use's parameters and MACs are its blocks' totals."""
    rows: list[list[str]] = []
    _rows(report, depth, "", rows)
    rows.append(["total", "", "", f"{report.total_params:,}", f"{report.total_macs:,}"])
    body = table(["node", "type", "output", "params", "MACs"], rows, right={3, 4})
    return f"model {report.model.name}\n{body}"


def _rows(report: ModelReport, depth: int, indent: str, rows: list[list[str]]) -> None:
    for node_id in report.order:
        if node_id not in report.live:
            continue
        info = report.infos[node_id]
        rows.append([indent + node_id, report.type_of(node_id), format_shapes(info.outputs), f"{info.params:,}", f"{info.macs:,}"])
        if info.inner is not None and depth > 1:
            _rows(info.inner, depth - 1, indent + "  ", rows)
