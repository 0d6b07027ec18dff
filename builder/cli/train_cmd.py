"""`builder train PROJECT`: train headless, with a progress bar per epoch and a line of metrics each."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from builder.cli.common import ArgumentError, open_project
from builder.core.i18n import tr
from builder.core.project import Project

NAME = "train"
HEALTH_EVERY = 20  # steps between layer-health samples: cheap (bench/health_bench.py) and often enough to see


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        NAME, help=tr("train the project's model headless and write its weights, code and metrics"),
        description=tr("Train with the project's data and training settings. Writes into DIR: metrics.csv (a row "
                       "per epoch), <Model>.pt and <Model>.safetensors (the state_dict), model.py (the generated "
                       "code the weights load into) and checkpoint.pt (to resume). Ctrl-C stops after the "
                       "current batch and keeps what was trained. A GAN project (\"mode\": \"gan\") writes "
                       "metrics.csv (epoch, d_loss, g_loss, d_real, d_fake, lr, seconds), samples_epoch<N>.png, "
                       "both models' weights, model.py with both classes, sample.py and checkpoint.pt."))
    parser.add_argument("project", metavar="PROJECT", help=tr("project file (.json)"))
    parser.add_argument("--epochs", type=_positive, metavar="N", help=tr("total epochs (overrides the project)"))
    parser.add_argument("--device", metavar="D", help=tr("auto, cpu, cuda or cuda:N (overrides the project)"))
    parser.add_argument("--out", metavar="DIR",
                        help=tr("output folder (default: <project>-training beside the project)"))
    parser.add_argument("--resume", action="store_true",
                        help=tr("continue from DIR/checkpoint.pt up to the epochs asked"))
    parser.add_argument("--health", type=_positive, nargs="?", const=HEALTH_EVERY, metavar="N",
                        help=tr("sample each layer's health every N steps (default {every}): its outputs' mean, "
                                "std and share of zeros, its gradient's norm and how much a step changes its "
                                "weights; printed after each epoch with warnings (dead ReLUs, vanishing or "
                                "exploding gradients, learning rate too high or low for a layer), and written to "
                                "DIR/health.csv", every=HEALTH_EVERY))
    parser.add_argument("--tensorboard", metavar="DIR",
                        help=tr("also write a TensorBoard log (losses, learning rate, weight and gradient histograms, "
                                "sample images, the graph) into a folder per run inside DIR; view it with "
                                "tensorboard --logdir DIR. Needs pip install \"nn-builder[tensorboard]\""))
    parser.add_argument("--nproc-per-node", type=_positive, metavar="N",
                        help=tr("train with N processes at once through torch's distributed launcher (torchrun's), "
                                "gradients averaged by DistributedDataParallel: one per GPU on CUDA (NCCL), or N "
                                "processes on the CPU (gloo). batch_size is per process, as with torchrun. "
                                "--device cuda:all takes every GPU"))
    parser.set_defaults(run=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("expected a whole number, got '{text}'", text=text)) from None
    if value < 1:
        raise argparse.ArgumentTypeError(tr("must be at least 1, got {value}", value=value))
    return value


def output_folder(project: Project, out: str | None) -> Path:
    folder = Path(out) if out else project.folder / f"{project.path.stem if project.path else 'project'}-training"
    if folder.exists() and not folder.is_dir():
        raise ArgumentError(tr("{folder}: exists and is not a folder", folder=folder))
    return folder


def run(args: argparse.Namespace) -> int:
    from builder.train.setup import SetupError  # torch loads here, not when `builder check` starts
    from builder.train.start import new_trainer, prepare_run

    project = open_project(args.project)
    if args.tensorboard:
        _tensorboard_into(project, args.tensorboard)
    try:
        prepared = prepare_run(project, epochs=args.epochs, device=args.device)
    except SetupError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    if prepared.data.description:  # what was read, and how: "...; read 60,000 images from the cache in 0.4 s"
        print(prepared.data.description, file=sys.stderr)
    out = output_folder(project, args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.health and project.training.get("mode") == "gan":
        print(tr("warning: --health samples a supervised run; a GAN's models are not sampled"), file=sys.stderr)
    processes = _processes(args, prepared)
    trainer = new_trainer(prepared, checkpoint=out / "checkpoint.pt", resume=args.resume, health_every=args.health,
                          processes=processes)
    with _stop_on_interrupt(trainer):
        return _consume(trainer, out)


def _processes(args: argparse.Namespace, prepared) -> int:
    """--nproc-per-node N, else one process per GPU where the device is cuda:all, else one; checked."""
    from builder.train.distributed import processes_for, refusal

    processes = args.nproc_per_node or processes_for(prepared.settings.training.device)
    problem = refusal(prepared, processes) if processes > 1 else None
    if problem:
        raise ArgumentError(problem)
    if processes > 1 and args.health:
        print(tr("warning: --health samples a run in one process; with {count} processes it is left out",
                 count=processes), file=sys.stderr)
    return processes


def _consume(trainer, out: Path) -> int:
    """The same loop for every kind of run: what it prints and writes follows the series the run declared."""
    from tqdm import tqdm

    from builder.train.events import EpochEnd, Failed, Finished, Health, Started, Step
    from builder.train.outputs import epoch_columns, write_metrics

    bar = None
    history, columns, epochs = [], [], 0
    last_shown = 0.0
    health = _HealthOutput(out)
    for event in trainer:
        if isinstance(event, Health):
            health.add(event)
            continue
        if isinstance(event, Started):
            for warning in event.warnings:
                print(tr("warning: {problem}", problem=warning), file=sys.stderr)
            print(event.describe(), file=sys.stderr)
            _say_tensorboard(trainer)
            history, columns, epochs = list(trainer.history), epoch_columns(event.series), event.epochs
            if event.start_epoch:  # a kill between the checkpoint and the epoch's files: write what is missing
                _save_samples(trainer, out, event.start_epoch, only_missing=True)
        elif isinstance(event, Step):
            if bar is None:
                bar = tqdm(total=event.steps, desc=tr("epoch {epoch}/{epochs}", epoch=event.epoch, epochs=epochs),
                           unit=tr("step"), leave=False,
                           file=sys.stderr, dynamic_ncols=True,
                           disable=None)  # no bar when stderr is not a terminal (logs, CI)
            bar.update(1)
            now = time.monotonic()
            if now - last_shown > 0.5:  # reading the loss waits for the GPU: only a few times a second
                bar.set_postfix_str(tr("loss={loss:.4f}", loss=event.loss_value))
                last_shown = now
        elif isinstance(event, EpochEnd):
            bar = _close(bar)
            history.append(event.record)
            print(epoch_line(event.record, columns, epochs, event.best), flush=True)
            health.epoch_done()
            write_metrics(out / "metrics.csv", history, columns)
            _save_samples(trainer, out, event.record.epoch)
        elif isinstance(event, (Finished, Failed)):
            bar = _close(bar)
            return _finish(trainer, event, out)
    return 1


def _tensorboard_into(project: Project, folder: str) -> None:
    """--tensorboard DIR: the project's training.tensorboard for this run, DIR taken from the current folder."""
    from builder.train.tensorboard import missing

    reason = missing()
    if reason:
        raise ArgumentError(tr("{key}: {problem}", key="--tensorboard", problem=reason))
    project.training["tensorboard"] = str(Path(folder).resolve())


def _say_tensorboard(trainer) -> None:
    """Where the run's TensorBoard log is, and what it left out."""
    import shlex

    from builder.train.tensorboard import log_of

    log = log_of(trainer)
    if log is None or log.folder is None:
        return
    for note in log.notes:
        print(tr("warning: {problem}", problem=note), file=sys.stderr)
    print(tr("TensorBoard log: {folder} (view it with: tensorboard --logdir {root})", folder=log.folder,
             root=shlex.quote(str(log.root))), file=sys.stderr)


class _HealthOutput:
    """--health: the latest sample as a table after each epoch, new warnings as they come, every sample in
    health.csv (rewritten atomically after each epoch, like metrics.csv)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rows: list[list] = []
        self.latest = None
        self.warned: set[str] = set()

    def add(self, event) -> None:
        from builder.train.health import csv_rows

        self.latest = event.sample
        self.rows += csv_rows(event.sample)
        for problem in event.problems:
            if str(problem) not in self.warned:
                self.warned.add(str(problem))
                print(tr("warning: {problem}", problem=problem), file=sys.stderr)

    def epoch_done(self) -> None:
        if self.latest is None:
            return
        from builder.cli.common import table
        from builder.core.atomic import atomic_write_text
        from builder.train.health import COLUMNS

        rows = [[node, _figure(h.mean), _figure(h.std), "-" if h.zeros is None else f"{h.zeros:.0%}",
                 _figure(h.grad_norm), _figure(h.update_ratio)] for node, h in self.latest.nodes.items()]
        print(tr("layer health at step {step}:", step=self.latest.step))
        print(table([tr("node"), tr("mean"), tr("std"), tr("zeros"), tr("grad norm"), tr("update")], rows,
                    right={1, 2, 3, 4, 5}))
        text = ",".join(COLUMNS) + "\n" + "".join(
            ",".join("" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v)) for v in row) + "\n"
            for row in self.rows)
        atomic_write_text(self.out / "health.csv", text)


def _figure(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def _save_samples(trainer, out: Path, epoch: int, only_missing: bool = False) -> None:
    """A generator's run leaves its images epoch by epoch (samples_epoch<N>.png); a supervised run shows
    predictions only in the window."""
    from builder.train.images import save_grid
    from builder.train.showcase import GeneratedImages

    path = out / f"samples_epoch{epoch}.png"
    if only_missing and path.exists():
        return
    showcase = trainer.showcase(epoch)
    if isinstance(showcase, GeneratedImages):
        save_grid(showcase.images, path)


def _finish(trainer, event, out: Path) -> int:
    from builder.train.events import Failed

    trained = trainer.trained()
    files = trained.export_folder(out) if trained is not None else []
    if isinstance(event, Failed):
        print(tr("training failed: {error}", error=event), file=sys.stderr)
        if files:
            print(tr("kept the weights of epoch {epoch}: {files}", epoch=len(trained.history),
                     files=", ".join(str(f) for f in files)), file=sys.stderr)
        return 1
    print(event.message, file=sys.stderr)
    if files:
        print(tr("wrote {files}", files=", ".join(str(f) for f in files)), file=sys.stderr)
    return 0


def _close(bar):
    if bar is not None:
        bar.close()
    return None


def epoch_line(record, columns: list[str], epochs: int, best: bool) -> str:
    parts = [tr("epoch {epoch}/{epochs}", epoch=record.epoch, epochs=epochs)]
    for name in columns:
        value = record[name]
        if value is not None:
            parts.append(f"{name} {value:.1%}" if name.endswith("accuracy") else f"{name} {value:.4f}")
    # The series keep their names (metrics.csv's columns): val_loss, accuracy, lr.
    parts += [f"lr {record.lr:.3g}", tr("{seconds:.1f}s", seconds=record.seconds)]
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
            print("\n" + tr("stopping after this batch (Ctrl-C again to abort)"), file=sys.stderr)
            self.trainer.stop()

        signal.signal(signal.SIGINT, handler)

    def __exit__(self, *exc) -> None:
        signal.signal(signal.SIGINT, self.previous)
