"""CUDA check: `builder train` in float32 and in mixed precision on the GPU, against the CPU.

Trains a small VGG-style net on the built-in shapes set (3×64×64) through the real command line and
reports samples/s per configuration (from metrics.csv, leaving out the first, warming-up epoch on
the GPU), the final validation accuracy, and the mixed-precision and GPU speed-ups.
Run where a GPU is: python bench/gpu_train_check.py [--samples N] [--epochs N] [--cpu-epochs N]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def project(samples: int, epochs: int, mixed: bool) -> dict:
    layers = []
    channels = [32, 64, 128]
    for i, c in enumerate(channels):
        layers += [(f"conv{i}a", "Conv2d", {"out_channels": c, "kernel_size": 3, "padding": 1, "bias": False}),
                   (f"bn{i}a", "BatchNorm2d", {}), (f"relu{i}a", "ReLU", {}),
                   (f"conv{i}b", "Conv2d", {"out_channels": c, "kernel_size": 3, "padding": 1, "bias": False}),
                   (f"bn{i}b", "BatchNorm2d", {}), (f"relu{i}b", "ReLU", {}),
                   (f"pool{i}", "MaxPool2d", {"kernel_size": 2})]
    layers += [("gap", "AdaptiveAvgPool2d", {"output_size": 1}), ("flat", "Flatten", {}),
               ("fc", "Linear", {"out_features": 4})]
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [3, 64, 64]}}]
    nodes += [{"id": i, "type": t, "params": p} for i, t, p in layers]
    nodes.append({"id": "out", "type": "Output", "params": {}})
    edges = [{"src": a["id"], "dst": b["id"], "port": 0} for a, b in zip(nodes, nodes[1:])]
    return {"format": "nn-builder-project", "version": 1, "models": [{"name": "VGGish", "nodes": nodes, "edges": edges}],
            "data": {"source": {"kind": "synthetic", "name": "shapes", "samples": samples}, "batch_size": 256,
                     "val_split": 0.1},
            "training": {"optimizer": "Adam", "lr": 0.002, "epochs": epochs, "seed": 0, "mixed_precision": mixed}}


def train(folder: Path, name: str, doc: dict, device: str, epochs: int) -> dict:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(doc))
    out = folder / name
    command = [sys.executable, "-m", "builder", "train", str(path), "--device", device, "--epochs", str(epochs),
               "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout, result.stderr, sep="\n")
        raise SystemExit(f"{name}: builder train failed ({result.returncode})")
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    timed = rows[1:] if device != "cpu" and len(rows) > 1 else rows  # epoch 1 on a GPU includes warm-up
    train_samples = int(doc["data"]["source"]["samples"] * (1 - doc["data"]["val_split"]))
    seconds = sum(float(r["seconds"]) for r in timed) / len(timed)
    return {"name": name, "samples_per_s": train_samples / seconds, "accuracy": float(rows[-1]["val_accuracy"]),
            "epochs": len(rows), "log": result.stderr.strip().splitlines()[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=8000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--cpu-epochs", type=int, default=1)
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU here: this check is for a GPU machine")
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}, bf16: {torch.cuda.is_bf16_supported()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = [
            train(folder, "cuda-float32", project(args.samples, args.epochs, False), "cuda", args.epochs),
            train(folder, "cuda-mixed", project(args.samples, args.epochs, True), "cuda", args.epochs),
            train(folder, "cpu-float32", project(args.samples, args.cpu_epochs, False), "cpu", args.cpu_epochs),
        ]
    for r in results:
        print(f"{r['name']:14s} {r['samples_per_s']:10,.0f} samples/s   val_accuracy {r['accuracy']:.1%} after "
              f"{r['epochs']} epoch(s)   [{r['log']}]")
    by = {r["name"]: r["samples_per_s"] for r in results}
    print(f"mixed precision vs float32 on the GPU: {by['cuda-mixed'] / by['cuda-float32']:.2f}x")
    print(f"GPU float32 vs CPU: {by['cuda-float32'] / by['cpu-float32']:.1f}x; "
          f"GPU mixed vs CPU: {by['cuda-mixed'] / by['cpu-float32']:.1f}x")


if __name__ == "__main__":
    main()
