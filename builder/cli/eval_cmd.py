"""`builder eval PROJECT --weights FILE`: the evaluation table on the validation split."""

from __future__ import annotations

import argparse

from builder.cli.common import ArgumentError, display_width, open_project, pad, table
from builder.core.i18n import tr

NAME = "eval"


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        NAME, help=tr("evaluate trained weights on the validation split"),
        description=tr("Load weights (.pt/.pth/.bin/.ckpt, read with weights_only=True, or .safetensors) into the "
                       "project's model and print the validation loss; for classification also the accuracy, the "
                       "accuracy per class and the confusion matrix."))
    parser.add_argument("project", metavar="PROJECT", help=tr("project file (.json)"))
    parser.add_argument("--weights", metavar="FILE", required=True, help=tr("a .pt or .safetensors state_dict"))
    parser.add_argument("--device", metavar="D", help=tr("auto, cpu, cuda or cuda:N (overrides the project)"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import torch  # loaded here, not when every command starts

    from builder.train.checkpoint import CheckpointError, load_into, load_weights
    from builder.train.engine import evaluate, make_loaders
    from builder.train.setup import SetupError, prepare

    project = open_project(args.project)
    if project.training.get("mode") == "gan":
        raise ArgumentError(tr("{project}: builder eval evaluates a supervised model; this project trains a GAN "
                               "(its samples are in the training folder, or run sample.py from an export)",
                               project=args.project))
    try:
        state = load_weights(args.weights)  # first: an unusable file is said before any data is read
    except CheckpointError as exc:
        raise ArgumentError(str(exc)) from None
    try:
        prepared = prepare(project, device=args.device)
    except SetupError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    model = prepared.model_class()
    try:
        load_into(model, state, args.weights)
    except CheckpointError as exc:
        raise ArgumentError(str(exc)) from None
    if not len(prepared.split.val):
        raise ArgumentError(tr("{project}: data.val_split is 0, so there is no validation split to evaluate on",
                               project=args.project))
    _train, val = make_loaders(prepared, torch.Generator().manual_seed(0))
    result = evaluate(model.to(prepared.device), val, prepared.objective, prepared.device)
    print(report(result, prepared.data.classes))
    return 0


def report(result, classes: list[str] | None) -> str:
    figures = [(tr("validation samples"), f"{result.samples:,}"), (tr("loss"), f"{result.loss:.4f}")]
    if result.accuracy is not None:
        figures.append((tr("accuracy"), f"{result.accuracy:.2%}"))
    width = max(display_width(label) for label, _value in figures) + 2
    lines = [pad(label, width) + value for label, value in figures]
    if result.accuracy is None:
        return "\n".join(lines)
    names = classes or [str(i) for i in range(len(result.confusion))]
    rows = [[name, "-" if acc is None else f"{acc:.1%}", f"{sum(row):,}"]
            for name, acc, row in zip(names, result.per_class_accuracy, result.confusion)]
    lines += ["", table([tr("class"), tr("accuracy"), tr("samples")], rows, right={1, 2}), "",
              tr("confusion matrix (rows: true class, columns: predicted)")]
    header = ["", *names]
    lines.append(table(header, [[name, *map(str, row)] for name, row in zip(names, result.confusion)],
                       right=set(range(1, len(header)))))
    return "\n".join(lines)
