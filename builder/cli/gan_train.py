"""`builder train` on a GAN project: metrics.csv (epoch, d_loss, g_loss, d_real, d_fake), a sample grid
per epoch, both models' weights and model.py with both classes."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from builder.core.atomic import atomic_write_text


def train_gan(project, args, out: Path) -> int:
    from tqdm import tqdm

    from builder.train.checkpoint import save_weights
    from builder.train.events import Failed, Finished, GanEpochEnd, GanStep, Started
    from builder.train.gan import GanTrainer, prepare_gan, sample_script
    from builder.train.images import save_grid
    from builder.train.setup import SetupError

    if args.resume:
        print("builder train: --resume is not available for GAN projects yet; train from the start", file=sys.stderr)
        return 2
    try:
        run = prepare_gan(project, epochs=args.epochs, device=args.device)
    except SetupError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    trainer = GanTrainer(run)
    epochs = run.settings.training.epochs
    history = []
    bar = None
    for event in trainer:
        if isinstance(event, Started):
            for warning in event.warnings:
                print(f"warning: {warning}", file=sys.stderr)
            print(f"training {event.model} on {event.device}: {event.train_samples:,} real images, "
                  f"{event.steps_per_epoch} steps per epoch", file=sys.stderr)
        elif isinstance(event, GanStep):
            if bar is None:
                bar = tqdm(total=event.steps, desc=f"epoch {event.epoch}/{epochs}", unit="step", leave=False,
                           file=sys.stderr, dynamic_ncols=True, disable=None)
            bar.update(1)
        elif isinstance(event, GanEpochEnd):
            if bar is not None:
                bar.close()
                bar = None
            r = event.record
            history.append(r)
            save_grid(event.samples, out / f"samples_epoch{r.epoch}.png")
            atomic_write_text(out / "metrics.csv", gan_metrics_csv(history))
            print(f"epoch {r.epoch}/{epochs}  d_loss {r.d_loss:.4f}  g_loss {r.g_loss:.4f}  D(x) {r.d_real:.3f}  "
                  f"D(G(z)) {r.d_fake:.3f}  {r.seconds:.1f}s", flush=True)
        elif isinstance(event, (Finished, Failed)):
            if bar is not None:
                bar.close()
            if trainer.generator is not None and history:
                names = run.code.class_names
                save_weights(trainer.generator.state_dict(), out / f"{names[run.generator]}.pt")
                save_weights(trainer.discriminator.state_dict(), out / f"{names[run.discriminator]}.pt")
                atomic_write_text(out / "model.py", run.code.source)
                atomic_write_text(out / "sample.py", sample_script(run))
            if isinstance(event, Failed):
                print(f"training failed: {event}", file=sys.stderr)
                return 1
            print(f"{event.message}; wrote {out}", file=sys.stderr)
            return 0
    return 1


def gan_metrics_csv(history) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["epoch", "d_loss", "g_loss", "d_real", "d_fake"])
    for r in history:
        writer.writerow([r.epoch, f"{r.d_loss:.6g}", f"{r.g_loss:.6g}", f"{r.d_real:.6g}", f"{r.d_fake:.6g}"])
    return buffer.getvalue()
