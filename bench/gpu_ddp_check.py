"""CUDA check: the exported train.py under torchrun (DistributedDataParallel, nccl) on one GPU, and the app's
own engine on several processes (builder.train.distributed: torch's elastic launcher, DDP, nccl; one process
per GPU, at least one, so the NCCL path runs even on a one-GPU machine), against the app's engine in one
process (`builder train`), on the same GPU(s) and project.

Uses the VGG-style project of gpu_train_check.py (shapes 3×64×64, batch 256 per process). Reports samples/s
for each, leaving out the first (warming-up) epoch. Run where a GPU is:
    python bench/gpu_ddp_check.py [--samples N] [--epochs N] [--device cuda|cpu] [--processes N]
With --device cpu it is a smoke check of the same paths with gloo (2 processes unless told).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from gpu_train_check import project  # noqa: E402


def samples_per_second(metrics: Path, train_samples: int) -> tuple[float, int, str]:
    rows = list(csv.DictReader(metrics.open()))
    timed = rows[1:] if len(rows) > 1 else rows
    seconds = sum(float(r["seconds"]) for r in timed) / len(timed)
    return train_samples / seconds, len(rows), rows[-1].get("val_accuracy", "")


def app_processes(path: Path, device: str, processes: int, train_samples: int) -> tuple[float, int, str]:
    """The app's engine on `processes` processes, through the API the window and `builder train
    --nproc-per-node` use; samples/s from rank 0's epoch times."""
    from builder.core.project import load_project
    from builder.train.distributed import DistributedTrainer
    from builder.train.events import Failed, Finished
    from builder.train.start import prepare_run

    trainer = DistributedTrainer(prepare_run(load_project(path), device=device), processes)
    ended = None
    for event in trainer:
        if isinstance(event, (Finished, Failed)):
            ended = event
    if not isinstance(ended, Finished):
        sys.exit(str(ended))
    history = trainer.history
    timed = history[1:] if len(history) > 1 else history
    seconds = sum(r.seconds for r in timed) / len(timed)
    accuracy = history[-1]["val_accuracy"]
    return train_samples / seconds, len(history), "" if accuracy is None else f"{accuracy:.6g}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=8000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--processes", type=int, help="for the app's multi-process run (default: one per GPU; 2 on "
                                                         "the CPU)")
    args = parser.parse_args()
    import torch

    processes = args.processes or (max(torch.cuda.device_count(), 1) if args.device.startswith("cuda") else 2)

    backend = "nccl" if args.device.startswith("cuda") else "gloo"
    where = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "CPU"
    print(f"torch {torch.__version__}, {where}, torchrun backend {backend}")
    doc = project(args.samples, args.epochs, False)
    train_samples = int(args.samples * (1 - doc["data"]["val_split"]))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "vgg.json"
        path.write_text(json.dumps(doc))
        subprocess.run([sys.executable, "-m", "builder", "export", str(path), "--train-script", str(folder / "x")],
                       check=True, env=env, capture_output=True)
        app = subprocess.run([sys.executable, "-m", "builder", "train", str(path), "--device", args.device,
                              "--out", str(folder / "app")], env=env, capture_output=True, text=True)
        if app.returncode:
            sys.exit(app.stdout + app.stderr)
        ddp = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1",
                              "train.py", "--device", args.device, "--out", "ddp"], cwd=folder / "x", env=env,
                             capture_output=True, text=True)
        if ddp.returncode:
            sys.exit(ddp.stdout + ddp.stderr)
        app_rate, app_epochs, app_acc = samples_per_second(folder / "app" / "metrics.csv", train_samples)
        ddp_rate, ddp_epochs, ddp_acc = samples_per_second(folder / "x" / "ddp" / "metrics.csv", train_samples)
        many_rate, many_epochs, many_acc = app_processes(path, args.device, processes, train_samples)
    for label, rate, epochs, accuracy in (
            ("app engine (builder train)", app_rate, app_epochs, app_acc),
            ("train.py under torchrun (DDP)", ddp_rate, ddp_epochs, ddp_acc),
            (f"app engine, {processes} process(es) (DDP)", many_rate, many_epochs, many_acc)):
        print(f"{label:34}{rate:10,.0f} samples/s  {epochs} epochs  val_accuracy {accuracy}")
    print(f"torchrun script / app engine: {ddp_rate / app_rate:.2f}")
    print(f"app engine on {processes} process(es) / in one: {many_rate / app_rate:.2f}")


if __name__ == "__main__":
    main()
