"""`builder train PROJECT`: train headless, with a progress bar per epoch and a line of metrics each."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from builder.cli.common import ArgumentError, open_project
from builder.core.project import Project

NAME = "train"


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        NAME, help="train the project's model headless and write its weights, code and metrics",
        description="Train with the project's data and training settings. Writes into DIR: metrics.csv (a row "
                    "per epoch), <Model>.pt and <Model>.safetensors (the state_dict), model.py (the generated "
                    "code the weights load into) and checkpoint.pt (to resume). Ctrl-C stops after the "
                    "current batch and keeps what was trained. A GAN project (\"mode\": \"gan\") writes "
                    "metrics.csv (epoch, d_loss, g_loss, d_real, d_fake), samples_epoch<N>.png, <G>.pt, <D>.pt "
                    "and model.py with both classes.")
    parser.add_argument("project", metavar="PROJECT", help="project file (.json)")
    parser.add_argument("--epochs", type=_positive, metavar="N", help="total epochs (overrides the project)")
    parser.add_argument("--device", metavar="D", help="auto, cpu, cuda or cuda:N (overrides the project)")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: <project>-training beside the project)")
    parser.add_argument("--resume", action="store_true", help="continue from DIR/checkpoint.pt up to the epochs asked")
    parser.set_defaults(run=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def output_folder(project: Project, out: str | None) -> Path:
    folder = Path(out) if out else project.folder / f"{project.path.stem if project.path else 'project'}-training"
    if folder.exists() and not folder.is_dir():
        raise ArgumentError(f"{folder}: exists and is not a folder")
    return folder


def run(args: argparse.Namespace) -> int:
    from builder.train.engine import Trainer  # torch loads here, not when `builder check` starts
    from builder.train.setup import SetupError, prepare

    project = open_project(args.project)
    if project.training.get("mode") == "gan":
        from builder.cli.gan_train import train_gan

        return train_gan(project, args, output_folder(project, args.out))
    try:
        prepared = prepare(project, epochs=args.epochs, device=args.device)
    except SetupError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    out = output_folder(project, args.out)
    out.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(prepared, checkpoint=out / "checkpoint.pt", resume=args.resume)
    classification = prepared.objective.num_classes is not None
    with _stop_on_interrupt(trainer):
        return _consume(trainer, prepared, out, classification)


def _consume(trainer, prepared, out: Path, classification: bool) -> int:
    from tqdm import tqdm

    from builder.train.events import EpochEnd, Failed, Finished, Started, Step
    from builder.train.outputs import export_model, write_metrics

    bar = None
    history = []
    last_shown = 0.0
    for event in trainer:
        if isinstance(event, Started):
            for warning in event.warnings:
                print(f"warning: {warning}", file=sys.stderr)
            resumed = f", resuming after epoch {event.start_epoch}" if event.start_epoch else ""
            print(f"training {event.model} on {event.device} ({event.precision}): {event.train_samples:,} "
                  f"training and {event.val_samples:,} validation samples, {event.steps_per_epoch} steps per "
                  f"epoch{resumed}", file=sys.stderr)
            history = list(trainer.history)
        elif isinstance(event, Step):
            if bar is None:
                bar = tqdm(total=event.steps, desc=f"epoch {event.epoch}/{prepared.settings.training.epochs}",
                           unit="step", leave=False, file=sys.stderr, dynamic_ncols=True,
                           disable=None)  # no bar when stderr is not a terminal (logs, CI)
            bar.update(1)
            now = time.monotonic()
            if now - last_shown > 0.5:  # reading the loss waits for the GPU: only a few times a second
                bar.set_postfix(loss=f"{event.loss_value:.4f}")
                last_shown = now
        elif isinstance(event, EpochEnd):
            if bar is not None:
                bar.close()
                bar = None
            history.append(event.record)
            print(epoch_line(event.record, prepared.settings.training.epochs, event.best), flush=True)
            write_metrics(out / "metrics.csv", history, classification)
        elif isinstance(event, Finished):
            if bar is not None:
                bar.close()
            files = export_model(out, prepared, trainer.model) if event.epochs_done else []
            print(f"{event.message}", file=sys.stderr)
            if files:
                print(f"wrote {', '.join(str(f) for f in files)}", file=sys.stderr)
            return 0
        elif isinstance(event, Failed):
            if bar is not None:
                bar.close()
            print(f"training failed: {event}", file=sys.stderr)
            if trainer.history:
                files = export_model(out, prepared, trainer.model)
                print(f"kept the weights of epoch {len(trainer.history)}: {', '.join(str(f) for f in files)}",
                      file=sys.stderr)
            return 1
    return 1


def epoch_line(record, epochs: int, best: bool) -> str:
    parts = [f"epoch {record.epoch}/{epochs}", f"train_loss {record.train_loss:.4f}"]
    if record.val_loss is not None:
        parts.append(f"val_loss {record.val_loss:.4f}")
    if record.val_accuracy is not None:
        parts.append(f"val_accuracy {record.val_accuracy:.1%}")
    parts += [f"lr {record.lr:.3g}", f"{record.seconds:.1f}s"]
    return "  ".join(parts) + ("  *" if best else "")


class _stop_on_interrupt:
    """First Ctrl-C: stop after the current batch and keep the weights. Second: abort."""

    def __init__(self, trainer) -> None:
        self.trainer = trainer

    def __enter__(self) -> None:
        self.previous = signal.getsignal(signal.SIGINT)

        def handler(_signum, _frame):
            if self.trainer.stopping:
                raise KeyboardInterrupt
            print("\nstopping after this batch (Ctrl-C again to abort)", file=sys.stderr)
            self.trainer.stop()

        signal.signal(signal.SIGINT, handler)

    def __exit__(self, *exc) -> None:
        signal.signal(signal.SIGINT, self.previous)
