"""`builder check PROJECT`: every model's table of shapes, parameters and MACs, or its problems; then
everything training would refuse that can be found without reading the data (one code path with
`builder train` and the window: builder.train.checks)."""

from __future__ import annotations

import argparse

from builder.blocks.check import ModelReport
from builder.cli.common import ArgumentError, open_project, table
from builder.core.i18n import tr
from builder.core.shapes import format_shapes

NAME = "check"


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        NAME, help=tr("check a project's models and show each node's output shape, parameters and MACs"),
        description=tr("Check every model of a project. Prints a table per model (node, type, output shape, "
                       "parameters, multiply-accumulates for one sample) and the totals, then checks the data and "
                       "training settings as training would (without reading the data: the settings, the loss "
                       "against the Output, a GAN's pairing, the data files named, the device) and prints the "
                       "lints; exits 0, or with problems prints one line per problem naming its node or key and "
                       "exits 1."))
    parser.add_argument("project", metavar="PROJECT", help=tr("project file (.json)"))
    parser.add_argument("--model", help=tr("check only this model"))
    parser.add_argument("--depth", type=int, default=1, metavar="N",
                        help=tr("rows for the blocks inside uses of modules, down to N levels (1: the model's own "
                                "nodes)"))
    parser.add_argument("--batch-size", type=int, metavar="B",
                        help=tr("add each node's output memory at this batch size, and estimate the memory "
                                "training takes (weights, gradients, the optimizer's state, the outputs kept for "
                                "backward)"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.batch_size is not None and args.batch_size < 1:
        raise ArgumentError(tr("builder check: --batch-size must be at least 1"))
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
        print(summary_table(report, max(args.depth, 1), args.batch_size))
        if args.batch_size:
            print("\n".join(_memory(report, check, args.batch_size)))
        for problem in report.problems:
            print(tr("warning: {problem}", problem=f"{prefix}{problem}"))
        print()
    for problem in check.problems:
        print(tr("warning: {problem}", problem=problem) if problem.warning else str(problem))
        failed = failed or not problem.warning
    return 1 if failed else 0


def summary_table(report: ModelReport, depth: int = 1, batch: int | None = None) -> str:
    """Each node a row; a use of a module with its own blocks below it, indented, down to `depth` levels.
    A use's parameters and MACs are its blocks' totals. With a batch size, each node's output memory too (what
    training keeps for backward: a view, or an output no backward needs, takes none)."""
    rows: list[list[str]] = []
    _rows(report, depth, "", rows, batch)
    total = [tr("total"), "", "", f"{report.total_params:,}", f"{report.total_macs:,}"]
    rows.append(total + ([_bytes(sum(_node_bytes(report, n, batch) for n in report.order if n in report.live))]
                         if batch else []))
    header = [tr("node"), tr("type"), tr("output"), tr("params"), tr("MACs")] + ([tr("memory")] if batch else [])
    body = table(header, rows, right={3, 4, 5})
    return tr("model {name}", name=report.model.name) + "\n" + body


def _rows(report: ModelReport, depth: int, indent: str, rows: list[list[str]], batch: int | None) -> None:
    for node_id in report.order:
        if node_id not in report.live:
            continue
        info = report.infos[node_id]
        row = [indent + node_id, report.type_of(node_id), format_shapes(info.outputs), f"{info.params:,}", f"{info.macs:,}"]
        rows.append(row + ([_bytes(_node_bytes(report, node_id, batch))] if batch else []))
        if info.inner is not None and depth > 1:
            _rows(info.inner, depth - 1, indent + "  ", rows, batch)


def _node_bytes(report: ModelReport, node_id: str, batch: int) -> int:
    from builder.train.memory import node_bytes

    return node_bytes(report, node_id, batch)


def _bytes(count: int) -> str:
    from builder.train.memory import format_bytes

    return format_bytes(count) if count else "-"


def _memory(report: ModelReport, check, batch: int) -> list[str]:
    from builder.train.memory import settings_estimate

    device = check.device.type if check.device is not None else "cpu"
    return settings_estimate(report, check.settings, batch, device).lines()
