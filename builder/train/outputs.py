"""The files a run leaves: metrics.csv, the weights (.pt and .safetensors) and the code that loads them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import torch.nn as nn

from builder.core.atomic import atomic_write_text
from builder.train.checkpoint import save_weights
from builder.train.events import EpochRecord
from builder.train.setup import Run


def metrics_csv(history: list[EpochRecord] | tuple[EpochRecord, ...], classification: bool) -> str:
    """One row per epoch: epoch, train_loss, val_loss, [val_accuracy,] lr, seconds."""
    columns = ["epoch", "train_loss", "val_loss", *(["val_accuracy"] if classification else []), "lr", "seconds"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in history:
        row = [r.epoch, _num(r.train_loss), _num(r.val_loss)]
        if classification:
            row.append(_num(r.val_accuracy))
        row += [_num(r.lr), f"{r.seconds:.3f}"]
        writer.writerow(row)
    return out.getvalue()


def write_metrics(path: Path, history: list[EpochRecord] | tuple[EpochRecord, ...], classification: bool) -> None:
    atomic_write_text(path, metrics_csv(history, classification))


def export_model(out_dir: Path, run: Run, model: nn.Module) -> list[Path]:
    """`<Model>.pt`, `<Model>.safetensors` and `model.py`: the weights load into the class of the code."""
    out_dir.mkdir(parents=True, exist_ok=True)
    state = model.state_dict()
    written = []
    for suffix in (".pt", ".safetensors"):
        path = out_dir / f"{run.class_name}{suffix}"
        save_weights(state, path)
        written.append(path)
    code = out_dir / "model.py"
    atomic_write_text(code, run.code.source)
    written.append(code)
    return written


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
