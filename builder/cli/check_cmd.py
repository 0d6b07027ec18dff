"""`builder check PROJECT`: every model's table of shapes, parameters and MACs, or its problems; then
everything training would refuse that can be found without reading the data (one code path with
`builder train` and the window: builder.train.checks)."""

from __future__ import annotations

import argparse

from builder.blocks.check import ModelReport
from builder.cli.common import open_project, table
from builder.core.shapes import format_shape

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
        print(summary_table(report))
        for problem in report.problems:
            print(f"warning: {prefix}{problem}")
        print()
    for problem in check.problems:
        print(f"warning: {problem}" if problem.warning else str(problem))
        failed = failed or not problem.warning
    return 1 if failed else 0


def summary_table(report: ModelReport) -> str:
    rows = []
    for node_id in report.order:
        if node_id not in report.live:
            continue
        info = report.infos[node_id]
        rows.append([node_id, report.type_of(node_id), format_shape(info.shape), f"{info.params:,}", f"{info.macs:,}"])
    rows.append(["total", "", "", f"{report.total_params:,}", f"{report.total_macs:,}"])
    body = table(["node", "type", "output", "params", "MACs"], rows, right={3, 4})
    return f"model {report.model.name}\n{body}"
