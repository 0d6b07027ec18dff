"""`builder predict PROJECT --weights W FILE [FILE ...]`: a trained classifier tried on image files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from builder.cli.common import ArgumentError, open_project
from builder.core.i18n import tr

NAME = "predict"


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        NAME, help=tr("try a trained classifier on image files"),
        description=tr("Load the weights into the project's model and classify each file: images of any size and "
                       "colour mode are converted to the Input's channels and size as training reads them. Prints "
                       "`FILE: CLASS (P%%)` per file (with --top K, the K most likely), or with --json a list of "
                       '{"file", "top": [{"class", "prob"}]}. Class names come with the weights (a safetensors '
                       "file written by NN Builder keeps them, or classes.json beside it). A file that cannot be "
                       "read is named, the others still tried, and the exit status is 1."))
    parser.add_argument("project", metavar="PROJECT", help=tr("project file (.json)"))
    parser.add_argument("files", metavar="FILE", nargs="+", help=tr("image files"))
    parser.add_argument("--weights", metavar="W", required=True, help=tr("trained weights (.pt or .safetensors)"))
    parser.add_argument("--top", type=int, default=1, metavar="K", help=tr("the K most likely classes (default 1)"))
    parser.add_argument("--json", action="store_true", help=tr("print JSON instead of one line per file"))
    parser.add_argument("--model", metavar="NAME", help=tr("the model to try (default: the trained one)"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.top < 1:
        raise ArgumentError(tr("builder predict: --top must be at least 1"))
    project = open_project(args.project, args.model)
    from builder.train.checkpoint import CheckpointError
    from builder.train.config import ConfigError
    from builder.train.predict import PredictError, load_trained, read_sample, top

    if project.training.get("mode") == "gan":
        raise ArgumentError(tr("{project}: builder predict tries a classifier; this project trains a GAN",
                               project=args.project))
    try:
        tried = load_trained(project, Path(args.weights), args.model)
    except (CheckpointError, ConfigError) as exc:
        raise ArgumentError(tr("builder predict: {error}", error=exc)) from None
    if tried.task != "classification":
        raise ArgumentError(tr("builder predict: {project} trains {task}, not a classifier; its outputs are not "
                               "classes", project=args.project, task=tried.task))
    results, failed = [], False
    for file in args.files:
        try:
            ranked = top(tried.probabilities(read_sample(Path(file), tried.input_shape)), args.top, tried.classes)
        except PredictError as exc:
            print(tr("{file}: {error}", file=file, error=exc) if not str(exc).startswith(file) else str(exc),
                  file=sys.stderr)
            failed = True
            continue
        if args.json:
            results.append({"file": file, "top": [{"class": r.name, "prob": round(r.probability, 6)} for r in ranked]})
        else:
            ranking = ", ".join(tr("{name} ({probability:.1%})", name=r.name, probability=r.probability)
                                for r in ranked)
            print(tr("{file}: {ranking}", file=file, ranking=ranking))
    if args.json:
        print(json.dumps(results, indent=1, ensure_ascii=False))
    return 1 if failed else 0
