"""CUDA check of training speed: a ResNet-18-style model (the resnet18 template at torchvision's widths, 64 to 512
channels) on the built-in shapes set at 3×64×64, batch 256, data in memory. Reports samples/s, leaving out the
first (warming-up) epoch of each, and the ratios with their targets:
- the engine in bfloat16 autocast + channels_last against the engine in float32, contiguous (target >= 1.5x);
- the engine against a hand-written AMP loop with the same levers (DataLoader over a pinned TensorDataset,
  non_blocking copies, autocast, channels_last) (target >= 1.0x);
- the exported train.py (python train.py, in-memory data kept on the GPU) against the engine (target >= 0.95x);
- the engine with training.compile: samples/s once compiled, and the compile time (its first epoch less a
  compiled epoch).
Run where a GPU is: python bench/gpu_train_check.py [--samples N] [--epochs N] [--width N]
On a machine without one, --tiny runs every path on the CPU at a toy size (the figures mean nothing there):
    python bench/gpu_train_check.py --tiny
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

from builder.core.project import Project
from builder.core.templates import load_template
from builder.train.engine import Trainer
from builder.train.events import Failed
from builder.train.script import write_training_script
from builder.train.setup import Run, prepare


def project(samples: int, epochs: int, mixed: bool) -> dict:
    """A small VGG-style project on shapes 3×64×64 (gpu_ddp_check.py trains it)."""
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


def resnet18(samples: int, epochs: int, size: int, width: int, batch: int, device: str) -> Project:
    """The resnet18 template at size×size, its widths scaled from the template's 16 to `width`."""
    doc = load_template("resnet18")
    model = doc.models[0]
    model.node("image").params["shape"] = [3, size, size]
    model.node("conv1").params["out_channels"] = width
    for node in model.nodes:
        if "planes" in node.params:
            node.params["planes"] = node.params["planes"] * width // 16
    doc.data = {**doc.data, "source": {"kind": "synthetic", "name": "shapes", "samples": samples},
                "batch_size": batch, "val_split": 0.1}
    doc.training = {**doc.training, "epochs": epochs, "device": device, "lr": 0.002}
    return doc


def variant(doc: Project, **training) -> Run:
    changed = copy.deepcopy(doc)
    changed.training = {**changed.training, **training}
    return prepare(changed)


def per_second(run: Run, seconds: list[float]) -> float:
    timed = seconds[1:] if len(seconds) > 1 else seconds  # epoch 1 holds cuDNN's autotuning (and compiling)
    return len(run.split.train) / (sum(timed) / len(timed))


def engine(run: Run) -> tuple[float, list[float]]:
    trainer = Trainer(run)
    for event in trainer:
        if isinstance(event, Failed):
            raise SystemExit(f"the engine failed: {event}")
    seconds = [r.seconds for r in trainer.history]
    return per_second(run, seconds), seconds


def hand_written(run: Run) -> float:
    """The AMP loop a person writes for in-memory data, with the engine's levers: bf16 autocast (float16 with a
    GradScaler where bf16 is missing), channels_last, a pinned DataLoader; validation under inference_mode."""
    device = run.device
    x, y = run.data.tensors
    pin = device.type == "cuda"
    generator = torch.Generator().manual_seed(run.settings.training.seed)
    train = DataLoader(TensorDataset(x[run.split.train], y[run.split.train]), batch_size=run.settings.data.batch_size,
                       shuffle=True, generator=generator, pin_memory=pin)
    val = DataLoader(TensorDataset(x[run.split.val], y[run.split.val]), batch_size=run.settings.data.batch_size,
                     pin_memory=pin)
    torch.manual_seed(run.settings.training.seed)
    model = run.model_class().to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=run.settings.training.lr)
    criterion = torch.nn.CrossEntropyLoss()
    amp = device.type == "cuda"
    dtype = torch.bfloat16 if amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=amp and dtype == torch.float16)
    seconds = []
    for _epoch in range(run.settings.training.epochs):
        started = time.perf_counter()
        model.train()
        for inputs, labels in train:
            inputs = inputs.to(device, non_blocking=True, memory_format=torch.channels_last)
            labels = labels.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=dtype, enabled=amp):
                loss = criterion(model(inputs), labels)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        model.eval()
        correct = torch.zeros((), dtype=torch.int64, device=device)
        with torch.inference_mode(), torch.autocast(device.type, dtype=dtype, enabled=amp):
            for inputs, labels in val:
                inputs = inputs.to(device, non_blocking=True, memory_format=torch.channels_last)
                correct += (model(inputs).argmax(1) == labels.to(device, non_blocking=True)).sum()
        correct.item()  # waits for the GPU: the epoch's time is all of its work
        seconds.append(time.perf_counter() - started)
    return per_second(run, seconds)


def exported(run: Run, folder: Path, device: str) -> float:
    """The exported train.py, run as a person runs it; samples/s from its metrics.csv."""
    write_training_script(run, folder)
    result = subprocess.run([sys.executable, "train.py", "--out", "out", "--device", device], cwd=folder,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"train.py failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    rows = list(csv.DictReader((folder / "out" / "metrics.csv").open()))
    return per_second(run, [float(r["seconds"]) for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--width", type=int, default=64, help="the first stage's channels (torchvision: 64)")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--no-compile", action="store_true", help="leave out the torch.compile run")
    parser.add_argument("--tiny", action="store_true",
                        help="a toy size on the CPU: checks that every path runs where there is no GPU")
    parser.add_argument("--save", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    if args.tiny:
        args.samples, args.epochs, args.size, args.width, args.batch = 96, 2, 16, 4, 32
        device = "cpu"
    elif torch.cuda.is_available():
        device = "cuda"
    else:
        raise SystemExit("no CUDA GPU here: this check is for a GPU machine (--tiny runs it on the CPU at a toy size)")
    name = torch.cuda.get_device_name(0) if device == "cuda" else "CPU (--tiny: the paths only, not the speeds)"
    print(f"torch {torch.__version__}, {name}", flush=True)
    doc = resnet18(args.samples, args.epochs, args.size, args.width, args.batch, device)
    fast = variant(doc, mixed_precision=True, channels_last=True)
    print(f"{fast.model_name} at {args.size}×{args.size}, width {args.width}, "
          f"{sum(p.numel() for p in fast.model_class().parameters()):,} weights; {len(fast.split.train):,} training "
          f"samples, batch {args.batch}, {args.epochs} epochs (the first left out)", flush=True)
    figures: dict[str, float] = {}
    figures["engine float32"], _ = engine(variant(doc, mixed_precision=False, channels_last=False))
    figures["engine bf16 + channels_last"], _ = engine(fast)
    figures["hand-written AMP loop"] = hand_written(fast)
    with tempfile.TemporaryDirectory() as tmp:
        figures["exported train.py"] = exported(fast, Path(tmp), device)
    if not args.no_compile:
        rate, seconds = engine(variant(doc, mixed_precision=True, channels_last=True, compile=True))
        figures["engine + torch.compile"] = rate
        figures["compile seconds"] = seconds[0] - (min(seconds[1:]) if len(seconds) > 1 else 0.0)
    for key, value in figures.items():
        print(f"  {key:30s} {value:10,.1f} {'s' if key.endswith('seconds') else 'samples/s'}")
    ratios = [("bf16 + channels_last vs float32", figures["engine bf16 + channels_last"] / figures["engine float32"],
               1.5),
              ("engine vs hand-written AMP loop", figures["engine bf16 + channels_last"]
               / figures["hand-written AMP loop"], 1.0),
              ("exported train.py vs engine", figures["exported train.py"] / figures["engine bf16 + channels_last"],
               0.95)]
    if "engine + torch.compile" in figures:
        ratios.append(("torch.compile vs not (once compiled)", figures["engine + torch.compile"]
                       / figures["engine bf16 + channels_last"], 0.0))
    for label, ratio, target in ratios:
        verdict = "" if not target else f"  (target >= {target:.2f}: {'met' if ratio >= target else 'NOT met'})"
        print(f"{label:40s} {ratio:6.2f}x{verdict}")
    if args.save:
        args.save.write_text(json.dumps({"device": name, **figures}, indent=1))


if __name__ == "__main__":
    main()
