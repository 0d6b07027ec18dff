"""The files a run leaves: metrics.csv, the weights (.pt and .safetensors) and the code that loads them."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import torch.nn as nn

from builder.compile.codegen import GeneratedCode
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
    return export_weights_and_code(out_dir, run.code, run.model_name, model.state_dict())


def export_weights_and_code(out_dir: Path, code: GeneratedCode, model_name: str, state: dict[str, Any],
                            readme: bool = False) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    class_name = code.class_names[model_name]
    written = []
    for suffix in (".pt", ".safetensors"):
        path = out_dir / f"{class_name}{suffix}"
        save_weights(state, path)
        written.append(path)
    source = out_dir / "model.py"
    atomic_write_text(source, code.source)
    written.append(source)
    if readme:
        path = out_dir / "README.md"
        atomic_write_text(path, LOAD_README.format(cls=class_name))
        written.append(path)
    return written


LOAD_README = """# {cls}: trained with NN Builder

- `model.py`: the model's code (plain PyTorch; it imports only torch).
- `{cls}.pt`: the trained weights, a state_dict saved with `torch.save`.
- `{cls}.safetensors`: the same weights as safetensors.

```python
import torch
from model import {cls}

model = {cls}()
model.load_state_dict(torch.load("{cls}.pt", weights_only=True))
# or: from safetensors.torch import load_file; model.load_state_dict(load_file("{cls}.safetensors"))
model.eval()
with torch.no_grad():
    prediction = model(inputs)  # inputs: a batch shaped like the model's Input, raw (any normalization is inside)
```
"""


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
