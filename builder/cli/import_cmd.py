"""`builder import FILE.py[:Class] --input-shape D [D ...] --out PROJECT.json`: existing PyTorch code as a project.

The file is run (it is the user's own code) and the class traced with torch.fx; the project and, beside it,
its weights (PROJECT.safetensors, under the names of the generated code, which are the original's) are
written only when the generated code computes what the original does. What cannot be represented is refused
with its file and line: exit 1, nothing written.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from builder.cli.common import ArgumentError
from builder.core.atomic import atomic_write_text
from builder.core.i18n import tr

NAME = "import"
MAX_DIM = 1 << 16


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        NAME, help=tr("turn an nn.Module from a Python file into a project of blocks and modules"),
        description=tr("Run FILE.py (your own code: it runs), construct CLASS(**KWARGS), load --weights into it, "
                       "trace it with torch.fx on a batch of the given sample shape, and write PROJECT.json with, "
                       "beside it, PROJECT.safetensors: the weights under the names of the generated code, which "
                       "are the original's. Every sub-module of your own (a BasicBlock, a Sequential inside a "
                       "Sequential) becomes a module of the project. Written only when the generated code "
                       "computes the same outputs as the original; what cannot be represented is refused with its "
                       "file and line (exit 1)."))
    parser.add_argument("source", metavar="FILE.py[:CLASS]",
                        help=tr("the Python file, and the class to import when it defines several nn.Modules"))
    parser.add_argument("--input-shape", type=int, nargs="+", required=True, action="append", metavar="D",
                        help=tr("one sample's shape without the batch, e.g. 3 32 32; once per input of forward when "
                                "it takes several"))
    parser.add_argument("--out", required=True, metavar="PROJECT.json", help=tr("the project file to write"))
    parser.add_argument("--weights", metavar="W", help=tr("weights to load into the module first (.pt/.pth, read "
                                                          "with weights_only=True, or a checkpoint holding them; "
                                                          ".safetensors)"))
    parser.add_argument("--kwargs", default="{}", metavar="JSON",
                        help=tr('arguments for the constructor, as a JSON object: \'{"num_classes": 10}\''))
    parser.add_argument("--force", action="store_true", help=tr("overwrite PROJECT.json if it exists"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    path, class_name = _source(args.source)
    kwargs = _kwargs(args.kwargs)
    for shape in args.input_shape:
        if any(not 1 <= d <= MAX_DIM for d in shape):
            raise ArgumentError(tr("builder import: --input-shape {shape}: every size must be from 1 to {limit:,}",
                                   shape=" ".join(map(str, shape)), limit=MAX_DIM))
    out = Path(args.out)
    if out.suffix != ".json":
        raise ArgumentError(tr("builder import: --out {out}: the project file must end in .json", out=out))
    if not out.parent.is_dir():
        raise ArgumentError(tr("builder import: --out {out}: the folder {folder} does not exist", out=out,
                               folder=out.parent))
    if out.exists() and not args.force:
        raise ArgumentError(tr("builder import: {out} exists; use --force to overwrite it", out=out))
    if args.weights is not None and not Path(args.weights).is_file():
        raise ArgumentError(tr("builder import: --weights {path}: no such file", path=args.weights))

    from builder.core.project import project_to_json  # torch and the user's code load from here on
    from builder.importer.network import import_network
    from builder.importer.source import ImportRefusal
    from builder.train.checkpoint import save_weights

    try:
        imported = import_network(path, class_name, args.input_shape, kwargs, args.weights)
    except ImportRefusal as exc:
        print(tr("builder import: {error}", error=exc))
        return 1
    weights = out.with_suffix(".safetensors")
    if args.weights is not None:  # trained weights: training starts from them (fine-tuning)
        imported.project.training["init_weights"] = weights.name
    save_weights(imported.state, weights)
    atomic_write_text(out, project_to_json(imported.project))
    project = imported.project
    modules = [m.name for m in project.models[1:]]
    if modules:
        print(tr("wrote {out} ({model}, with the modules {modules}) and {weights}", out=out,
                 model=project.models[0].name, modules=", ".join(modules), weights=weights))
    else:
        print(tr("wrote {out} ({model}) and {weights}", out=out, model=project.models[0].name, weights=weights))
    print(tr("the generated code has the original's weight names and outputs (largest difference "
             "{difference:.2g}); imported in {seconds:.2f} s", difference=imported.max_difference,
             seconds=imported.seconds))
    return 0


def _source(text: str) -> tuple[Path, str | None]:
    file, colon, class_name = text.rpartition(":") if text.count(":") and not Path(text).exists() else (text, "", "")
    path = Path(file if colon else text)
    if colon and not class_name.isidentifier():
        raise ArgumentError(tr("builder import: {source}: '{name}' is not a class name", source=text,
                               name=class_name))
    if not path.is_file():
        raise ArgumentError(tr("builder import: {path}: no such file", path=path))
    if path.suffix != ".py":
        raise ArgumentError(tr("builder import: {path}: not a Python file (.py)", path=path))
    return path, class_name if colon else None


def _kwargs(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArgumentError(tr("builder import: --kwargs is not valid JSON ({reason})", reason=exc.msg)) from None
    if not isinstance(value, dict):
        raise ArgumentError(tr("builder import: --kwargs must be a JSON object, e.g. '{\"num_classes\": 10}'"))
    return value
