"""`builder activations PROJECT --input IMAGE --out DIR`: what every layer makes of one image, as pictures."""

from __future__ import annotations

import argparse
import io
import re
from pathlib import Path

from builder.cli.common import ArgumentError, open_project
from builder.core.i18n import tr, trn

NAME = "activations"
_UNSAFE = re.compile(r"[^\w.\-]+")  # what a node id may hold that a file name should not


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        NAME, help=tr("write each layer's output for one image: a grid of its channels per node"),
        description=tr("Run one image through the project's model (with --weights, trained; else freshly "
                       "initialized) and write DIR/<node>.png for every node whose output is a feature map (its "
                       "channels side by side, each scaled to its own range, dark to bright), DIR/<node>.txt for "
                       "every node (shape, min, max, mean, std, share of zeros; then min, max and mean per "
                       "channel), and DIR/summary.txt with their first lines. The image is converted to the "
                       "Input's channels and size as training reads it. Nodes computed inside forward (Add, "
                       "Concat) have no layer to watch and are left out."))
    parser.add_argument("project", metavar="PROJECT", help=tr("project file (.json)"))
    parser.add_argument("--input", metavar="IMAGE", required=True, help=tr("an image file"))
    parser.add_argument("--out", metavar="DIR", required=True, help=tr("the folder to write into (made if need be)"))
    parser.add_argument("--weights", metavar="W",
                        help=tr("trained weights (.pt or .safetensors); default: untrained"))
    parser.add_argument("--model", metavar="NAME", help=tr("the model to look into (default: the trained one)"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    project = open_project(args.project, args.model)
    if args.weights is not None and not Path(args.weights).is_file():
        raise ArgumentError(tr("builder activations: --weights {path}: no such file", path=args.weights))
    from PIL import Image

    from builder.core.atomic import WriteError, atomic_write_bytes, atomic_write_text
    from builder.train.checkpoint import CheckpointError
    from builder.train.config import ConfigError
    from builder.train.inside import channel_grid, node_outputs
    from builder.train.predict import PredictError, load_trained, read_sample

    try:
        tried = load_trained(project, Path(args.weights) if args.weights else None, args.model)
        sample = read_sample(Path(args.input), tried.input_shape)
    except (CheckpointError, ConfigError, PredictError) as exc:
        raise ArgumentError(tr("builder activations: {error}", error=exc)) from None
    outputs = node_outputs(tried.module, tried.code, tried.model_name, sample)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArgumentError(tr("builder activations: --out {out}: cannot be made ({reason})", out=out,
                               reason=exc.strerror or exc)) from None
    lines, pictures = [], 0
    weights = f"weights {args.weights}" if args.weights else "untrained weights"  # summary.txt: a file, English
    try:
        for node_id, output in outputs.items():
            lines.append(output.summary())
            name = _UNSAFE.sub("_", node_id)
            atomic_write_text(out / f"{name}.txt", output.details())
            if output.is_image:
                picture = Image.fromarray(channel_grid(output, scale=max(1, 64 // max(output.values.shape[1:]))))
                buffer = io.BytesIO()
                picture.save(buffer, format="PNG")
                atomic_write_bytes(out / f"{name}.png", buffer.getvalue())
                pictures += 1
        atomic_write_text(out / "summary.txt",
                          f"{tried.model_name} on {args.input}, {weights}\n" + "\n".join(lines) + "\n")
    except WriteError as exc:
        raise ArgumentError(tr("builder activations: {error}", error=exc)) from None
    print("\n".join(lines))
    print(trn("wrote {count} feature map, a summary per node and summary.txt into {out}",
              "wrote {count} feature maps, a summary per node and summary.txt into {out}", pictures, count=pictures,
              out=out))
    return 0
