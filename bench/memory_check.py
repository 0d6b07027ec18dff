"""The training-memory estimate (builder check --batch-size, the status bar) against the measured peak.

For 3 templates at 3 batch sizes: the estimate of builder/train/memory.py, and the peak one training step really
reaches (forward, backward, the optimizer's step, the optimizer's state made beforehand), measured in a fresh
process: the resident memory's high-water mark on this Linux CPU, with glibc told to give large blocks back at
once (MALLOC_MMAP_THRESHOLD_) so that freed memory is not counted; torch's max_memory_allocated on CUDA (--device
cuda). Prints each pair and their ratio; the target is within 20%.
Run: .venv/bin/python bench/memory_check.py [--device cuda]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

TEMPLATES = ("example", "vgg_small", "resnet18")
BATCHES = (16, 64, 256)

MEASURE = """
import json, sys
import torch
from builder.blocks.check import check_model
from builder.compile import build_classes, generate_code
from builder.core.templates import load_template
from builder.train.config import parse_settings
from builder.train.memory import measured_step
from builder.train.optimizers import OPTIMIZERS

torch.set_num_threads(1)
name, batch, device = sys.argv[1], int(sys.argv[2]), torch.device(sys.argv[3])
project = load_template(name)
model = project.models[0]
report = check_model(model, project)
settings = parse_settings(project)
make = build_classes(generate_code(project, [model.name]))[model.name]
shape = report.infos[report.inputs[0]].shape
out = report.infos[report.outputs[0]].shape
if settings.data.task == "classification":
    target, loss = (lambda n: torch.randint(0, out[0], (n,))), torch.nn.functional.cross_entropy
else:
    target, loss = (lambda n: torch.rand(n, *out)), torch.nn.functional.mse_loss
spec = OPTIMIZERS[settings.training.optimizer]
optimizer = lambda p: spec.make(p, settings.training.lr, settings.training.options)
print(json.dumps(measured_step(make, shape, target, loss, optimizer, batch, device)))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    from builder.blocks.check import check_model
    from builder.core.templates import load_template
    from builder.train.config import parse_settings
    from builder.train.memory import estimate, format_bytes

    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"}
    ratios = []
    for name in TEMPLATES:
        project = load_template(name)
        report = check_model(project.models[0], project)
        settings = parse_settings(project)
        for batch in BATCHES:
            guess = estimate(report, batch, settings.training.optimizer, settings.training.options).total
            result = subprocess.run([sys.executable, "-c", MEASURE, name, str(batch), args.device], env=env,
                                    capture_output=True, text=True, check=True)
            measured = json.loads(result.stdout.strip().splitlines()[-1])
            ratio = guess / measured
            ratios.append(ratio)
            print(f"{name:<12} batch {batch:>4}: estimate {format_bytes(guess):>9}  measured {format_bytes(measured):>9}"
                  f"  estimate/measured {ratio:.2f}")
    worst = max(abs(r - 1) for r in ratios)
    print(f"largest difference: {worst:.0%} (target within 20%) on {args.device}")


if __name__ == "__main__":
    main()
