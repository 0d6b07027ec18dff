"""CUDA check of GAN mixed precision, resume and the exported train.py, on the DCGAN template (32×32 shapes).

The dev machines have no GPU: the tests run the same code with CPU autocast. Run where a GPU is (a minute or two):
    python bench/gpu_gan_check.py [--samples N] [--epochs N] [--device cuda|cpu]
With --device cpu it is a smoke check of the same paths (mixed precision is then float32, float16 CPU autocast).

1. The app's GanTrainer in float32, mixed (bfloat16 where the GPU has it) and float16 (forced: one GradScaler per
   optimizer): the precision it reports, finite losses, samples/s (after the first epoch).
2. float16, 2 epochs straight against 1 epoch + resume from the checkpoint: the same losses and weights (with
   torch's deterministic algorithms, so that only a lost state could make them differ).
3. The exported train.py with MIXED_PRECISION on, against the app's mixed run: each epoch's losses.
Exits 1 naming the first check that failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before CUDA starts: deterministic cuBLAS

import torch  # noqa: E402

import builder.train.gan as gan  # noqa: E402
from builder.core.templates import load_template  # noqa: E402
from builder.train.events import Finished  # noqa: E402
from builder.train.script import write_training_script  # noqa: E402

KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


DEVICE = "cuda"


def project(samples: int, epochs: int, mixed: bool):
    made = load_template("dcgan")
    made.data["source"]["samples"] = samples
    made.training.update(epochs=epochs, device=DEVICE, mixed_precision=mixed)
    return made


def train(made, float16: bool = False, **options):
    """(precision label, history values, trainer); float16 forces what a GPU without bfloat16 gets."""
    chosen = gan.precision_for
    if float16:
        gan.precision_for = lambda device, mixed: gan.Precision(device.type, torch.float16 if mixed else None)
    try:
        trainer = gan.GanTrainer(gan.prepare_gan(made), **options)
        events = list(trainer)
    finally:
        gan.precision_for = chosen
    if not isinstance(events[-1], Finished):
        sys.exit(f"FAILED: the run ended with {events[-1]}")
    return events[0].precision, [[r[k] for k in KEYS] for r in trainer.history], trainer


def samples_per_second(trainer, samples: int) -> float:
    timed = trainer.history[1:] or trainer.history
    return samples / (sum(r.seconds for r in timed) / len(timed))


def check(ok: bool, what: str) -> None:
    print(("ok      " if ok else "FAILED  ") + what, flush=True)
    if not ok:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device
    if DEVICE == "cuda" and not torch.cuda.is_available():
        sys.exit("no CUDA GPU here (--device cpu for a smoke check)")
    if DEVICE == "cuda":
        print(torch.cuda.get_device_name(0), "torch", torch.__version__, "bf16:", torch.cuda.is_bf16_supported())
    runs = {}
    for name, mixed, float16 in (("float32", False, False), ("mixed", True, False), ("float16", True, True)):
        label, history, trainer = train(project(args.samples, args.epochs, mixed), float16)
        runs[name] = history
        print(f"{name:8} {label:16} {samples_per_second(trainer, args.samples):10,.0f} samples/s  last epoch "
              + "  ".join(f"{k} {v:.4f}" for k, v in zip(KEYS, history[-1])))
        check(all(torch.isfinite(torch.tensor(h)).all() for h in history), f"{name}: finite losses")
        if name == "float16":
            check(label == "float16 mixed" and all(s is not None for s in trainer.scalers)
                  and trainer.scalers[0] is not trainer.scalers[1], "float16: one GradScaler per optimizer")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        _, straight, whole = train(project(512, 2, True), True, checkpoint=folder / "a.pt")
        train(project(512, 1, True), True, checkpoint=folder / "b.pt")
        _, resumed, parts = train(project(512, 2, True), True, checkpoint=folder / "b.pt", resume=True)
        same = all(torch.equal(v, parts.generator.state_dict()[k]) for k, v in whole.generator.state_dict().items())
        check(resumed == straight and same, "float16 resume: the uninterrupted run's losses and weights")
        print("         scaler states", [s.state_dict()["scale"] for s in parts.scalers])
    torch.use_deterministic_algorithms(False)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        made = project(1024, 2, True)
        _, app, _ = train(made)
        write_training_script(gan.prepare_gan(made), folder)
        result = subprocess.run([sys.executable, "train.py", "--out", "out"], cwd=folder, capture_output=True,
                                text=True, timeout=600)
        check(result.returncode == 0, f"train.py with MIXED_PRECISION on {DEVICE} runs: " + result.stderr[-300:])
        script = [row[1:5] for row in torch.load(folder / "out" / "checkpoint.pt", weights_only=True)["history"]]
        worst = max(abs(a - b) / max(abs(b), 1e-8) for rs, ra in zip(script, app) for a, b in zip(rs, ra))
        print(f"         train.py vs app, largest relative difference {worst:.2e}")
        check(worst < 1e-2, "train.py's mixed-precision losses are the app's (GPU kernels may differ in the last bits)")


if __name__ == "__main__":
    main()
