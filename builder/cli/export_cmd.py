"""`builder export PROJECT --code OUT.py`: the generated PyTorch source of the project's models; also a
standalone train.py, and the model as .pt2 (torch.export), ONNX or TorchScript."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from builder.cli.common import ArgumentError, open_project
from builder.core.atomic import atomic_write_text
from builder.core.i18n import tr

NAME = "export"
STDOUT = "-"  # --code -: the source goes to standard output


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        NAME, help=tr("write the generated code, a standalone training script, or .pt2 / ONNX / TorchScript files"),
        description=tr("Write the Python source generated from the project's graphs (one nn.Module class per "
                       "model, importing only torch; the app trains modules built from this same source); a "
                       "standalone train.py that trains like the app, on one device or with torchrun; or the "
                       "model as .pt2 (torch.export), ONNX or TorchScript with a dynamic batch dimension, checked "
                       "against the module. TorchScript is deprecated in PyTorch: prefer .pt2."))
    parser.add_argument("project", metavar="PROJECT", help=tr("project file (.json)"))
    parser.add_argument("--code", metavar="OUT.py", help=tr("write the generated source here ('-': to standard "
                                                            "output, with every message on standard error)"))
    parser.add_argument("--train-script", metavar="DIR", help=tr("write train.py and model.py into DIR"))
    parser.add_argument("--pt2", metavar="FILE.pt2", help=tr("write the model as an ExportedProgram (torch.export; "
                                                             "Netron, Model Explorer and MATLAB read it)"))
    parser.add_argument("--onnx", metavar="FILE.onnx", help=tr("write the model as ONNX"))
    parser.add_argument("--torchscript", metavar="FILE.pt", help=tr("write the model as TorchScript (deprecated in "
                                                                    "PyTorch: prefer --pt2)"))
    parser.add_argument("--weights", metavar="FILE", help=tr("for --pt2/--onnx/--torchscript: trained weights to put "
                                                             "in (.pt or .safetensors); default: freshly initialized"))
    parser.add_argument("--model", metavar="NAME", help=tr("export only this model (default: all models for "
                                                           "--code, the trained model otherwise)"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not (args.code or args.train_script or args.pt2 or args.onnx or args.torchscript):
        raise ArgumentError(tr("builder export: say what to write: --code, --train-script, --pt2, --onnx or "
                               "--torchscript (see builder export --help)"))
    project = open_project(args.project, args.model)
    code_to_stdout = args.code == STDOUT
    # With the code on standard output, every message goes to standard error so that `> model.py` or a pipe
    # receives nothing but the source.
    with contextlib.redirect_stdout(sys.stderr) if code_to_stdout else contextlib.nullcontext():
        status = _scripts_and_portable(project, args)
        code = _generate(project, args.model) if args.code else None
    if not args.code:
        return status
    if code is None:
        return 1
    if code_to_stdout:
        sys.stdout.write(code.source)
        sys.stdout.flush()
        return status
    out = Path(args.code)
    if not out.parent.is_dir():
        raise ArgumentError(tr("{out}: the folder {folder} does not exist", out=out, folder=out.parent))
    atomic_write_text(out, code.source)
    print(tr("wrote {out} ({classes})", out=out, classes=", ".join(code.class_names.values())))
    return status


def _scripts_and_portable(project, args: argparse.Namespace) -> int:
    status = 0
    if args.train_script:
        status = max(status, _train_script(project, Path(args.train_script)))
    if args.pt2 or args.onnx or args.torchscript:
        status = max(status, _portable(project, args))
    return status


def _generate(project, model: str | None):
    """The generated source, or None after printing the graph's problems."""
    from builder.compile import CompileError, generate_code  # torch loads here, not for every command

    try:
        return generate_code(project, [model] if model else None)
    except CompileError as exc:
        several = len({name for name, _ in exc.problems}) > 1
        for name, problem in exc.problems:
            print(f"{name}/{problem}" if several else str(problem))
        return None


def _train_script(project, folder: Path) -> int:
    from builder.train.gan import GanRun
    from builder.train.script import write_training_script
    from builder.train.setup import SetupError
    from builder.train.start import prepare_run

    try:
        run = prepare_run(project)
    except SetupError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    written = write_training_script(run, folder)
    files = ", ".join(str(p) for p in written)
    if isinstance(run, GanRun):  # a GAN's script trains on one device
        print(tr("wrote {files}: python {script}", files=files, script=written[0]))
    else:
        print(tr("wrote {files}: python {script} (or torchrun --nproc_per_node=N ...)", files=files, script=written[0]))
    return 0


def _portable(project, args: argparse.Namespace) -> int:
    from builder.blocks.check import check_model
    from builder.compile import build_classes, generate_code
    from builder.compile.portable import ExportError, export_onnx, export_pt2, export_torchscript
    from builder.train.checkpoint import CheckpointError

    name = args.model or project.training.get("model") or project.models[0].name
    report = check_model(project.model(name), project)
    if report.errors:
        for problem in report.errors:
            print(problem)
        return 1
    if args.weights:
        from builder.train.weights import load_for_model

        try:
            code, state = load_for_model(project, name, args.weights)
        except CheckpointError as exc:
            raise ArgumentError(str(exc)) from None
    else:
        code, state = generate_code(project, [name]), None
    model = build_classes(code)[name]()
    if state is not None:
        model.load_state_dict(state)
    shapes = [tuple(report.infos[i].shape) for i in report.inputs]
    names = code.attributes[name]
    try:
        results = []
        if args.pt2:
            results.append(export_pt2(model, shapes, args.pt2))
        if args.torchscript:
            results.append(export_torchscript(model, shapes, args.torchscript))
        if args.onnx:
            results.append(export_onnx(model, shapes, args.onnx, [names[i] for i in report.inputs],
                                       [names[o] for o in report.outputs]))
    except ExportError as exc:
        print(tr("builder export: {error}", error=exc), file=sys.stderr)
        return 1
    for result in results:
        checked = (tr("same outputs as the module, max difference {difference:.2g} ({checker})",
                      difference=result.max_difference, checker=result.checker)
                   if result.max_difference is not None else result.checker)
        print(tr("wrote {path}: {checked}", path=result.path, checked=checked))
        if result.max_difference is not None and result.max_difference > 1e-3:
            print(tr("builder export: {path} does not reproduce the module", path=result.path), file=sys.stderr)
            return 1
    return 0
