"""The training engine against an idiomatic hand-written loop, in one process, on the CPU.

Both train the same generated model on the same in-memory data (the built-in shapes set), with the
same batch size, epochs, optimizer and seed:
- hand-written: DataLoader(TensorDataset(x, y), shuffle=True), zero_grad / loss / backward / step;
- engine: `builder.train.engine.Trainer`, consuming every event;
- bare: the hand-written loop over the engine's own batching (cut from tensors), so that
  engine - bare is the engine's own overhead (events, metrics, checks).
Prints engine/hand-written (target <= 1.0) and the overhead as a share of an epoch (target < 3%).
Run: .venv/bin/python bench/train_bench.py [--samples N] [--epochs N] [--repeats N]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from builder.core.templates import EXAMPLE, load_template
from builder.train.batches import TensorBatches
from builder.train.engine import Trainer
from builder.train.optimizers import OPTIMIZERS
from builder.train.setup import prepare


def settings(samples: int, epochs: int, batch: int):
    project = load_template(EXAMPLE)
    project.data = {**project.data, "source": {"kind": "synthetic", "name": "shapes", "samples": samples},
                    "val_split": 0.0, "batch_size": batch}
    project.training = {**project.training, "epochs": epochs, "device": "cpu"}
    return prepare(project)


def engine(run) -> float:
    start = time.perf_counter()
    for _event in Trainer(run):
        pass
    return time.perf_counter() - start


def hand_written(run, batches_of) -> float:
    torch.manual_seed(run.settings.training.seed)
    model = run.model_class()
    optimizer = OPTIMIZERS[run.settings.training.optimizer].make(model.parameters(), run.settings.training.lr, {})
    criterion = torch.nn.CrossEntropyLoss()
    x, y = run.data.tensors
    generator = torch.Generator().manual_seed(run.settings.training.seed)
    batches = batches_of(x[run.split.train], y[run.split.train], run.settings.data.batch_size, generator)
    start = time.perf_counter()
    model.train()
    for _epoch in range(run.settings.training.epochs):
        for inputs, labels in batches:
            optimizer.zero_grad()
            loss = criterion(model(inputs), labels)
            loss.backward()
            optimizer.step()
    return time.perf_counter() - start


def dataloader(x, y, batch, generator):
    return DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True, generator=generator)


def tensor_batches(x, y, batch, generator):
    return TensorBatches(x, y, batch, True, generator)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    run = settings(args.samples, args.epochs, args.batch)
    results: dict[str, list[float]] = {"hand-written": [], "engine": [], "bare": []}
    for _ in range(args.repeats):  # interleaved, so drift in machine load hits all three alike
        results["hand-written"].append(hand_written(run, dataloader))
        results["engine"].append(engine(run))
        results["bare"].append(hand_written(run, tensor_batches))
    best = {name: min(times) for name, times in results.items()}
    epochs = run.settings.training.epochs
    print(f"{len(run.split.train):,} samples {run.data.tensors[0].shape[1:]}, batch {args.batch}, {epochs} epochs, "
          f"{torch.get_num_threads()} threads, best of {args.repeats}")
    for name, seconds in best.items():
        print(f"  {name:13s} {seconds:7.3f} s  ({seconds / epochs:.3f} s per epoch)")
    print(f"engine / hand-written: {best['engine'] / best['hand-written']:.3f}  (target <= 1.0)")
    overhead = (best["engine"] - best["bare"]) / best["bare"]
    print(f"engine overhead (engine vs the same loop over the same batches): {overhead:+.1%} of an epoch  (target < 3%)")


if __name__ == "__main__":
    main()
