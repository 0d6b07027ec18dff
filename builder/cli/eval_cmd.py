"""`builder eval PROJECT --weights FILE`: the evaluation table on the validation split."""

from __future__ import annotations

import argparse

from builder.cli.common import ArgumentError, open_project, table

NAME = "eval"


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        NAME, help="evaluate trained weights on the validation split",
        description="Load weights (.pt/.pth/.bin/.ckpt, read with weights_only=True, or .safetensors) into the "
                    "project's model and print the validation loss; for classification also the accuracy, the "
                    "accuracy per class and the confusion matrix.")
    parser.add_argument("project", metavar="PROJECT", help="project file (.json)")
    parser.add_argument("--weights", metavar="FILE", required=True, help="a .pt or .safetensors state_dict")
    parser.add_argument("--device", metavar="D", help="auto, cpu, cuda or cuda:N (overrides the project)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import torch  # loaded here, not when every command starts

    from builder.train.checkpoint import CheckpointError, load_into, load_weights
    from builder.train.engine import evaluate, make_loaders
    from builder.train.setup import SetupError, prepare

    project = open_project(args.project)
    if project.training.get("mode") == "gan":
        raise ArgumentError(f"{args.project}: builder eval evaluates a supervised model; this project trains a GAN "
                            f"(its samples are in the training folder, or run sample.py from an export)")
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
        raise ArgumentError(f"{args.project}: data.val_split is 0, so there is no validation split to evaluate on")
    _train, val = make_loaders(prepared, torch.Generator().manual_seed(0))
    result = evaluate(model.to(prepared.device), val, prepared.objective, prepared.device)
    print(report(result, prepared.data.classes))
    return 0


def report(result, classes: list[str] | None) -> str:
    lines = [f"validation samples  {result.samples:,}", f"loss                {result.loss:.4f}"]
    if result.accuracy is None:
        return "\n".join(lines)
    lines.append(f"accuracy            {result.accuracy:.2%}")
    names = classes or [str(i) for i in range(len(result.confusion))]
    rows = [[name, "-" if acc is None else f"{acc:.1%}", f"{sum(row):,}"]
            for name, acc, row in zip(names, result.per_class_accuracy, result.confusion)]
    lines += ["", table(["class", "accuracy", "samples"], rows, right={1, 2}), "",
              "confusion matrix (rows: true class, columns: predicted)"]
    header = ["", *names]
    lines.append(table(header, [[name, *map(str, row)] for name, row in zip(names, result.confusion)],
                       right=set(range(1, len(header)))))
    return "\n".join(lines)
