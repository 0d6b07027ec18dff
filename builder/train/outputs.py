"""The files a run leaves: metrics.csv, the weights (.pt and .safetensors) and the code that loads them."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from builder.compile.codegen import GeneratedCode
from builder.core.atomic import atomic_write_text
from builder.train.checkpoint import save_weights
from builder.train.events import EpochRecord, Series


def epoch_columns(series: tuple[Series, ...]) -> list[str]:
    """The epoch series a run declared, in order, as metrics.csv's columns between epoch and lr."""
    return [s.name for s in series if s.per == "epoch" and s.name != "lr"]


def metrics_csv(history: list[EpochRecord] | tuple[EpochRecord, ...], columns: list[str]) -> str:
    """One row per epoch: epoch, the run's epoch series (train_loss, val_loss[, val_accuracy]; or d_loss,
    g_loss, d_real, d_fake), lr, seconds."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["epoch", *columns, "lr", "seconds"])
    for r in history:
        writer.writerow([r.epoch, *(_num(r[c]) for c in columns), _num(r.lr), f"{r.seconds:.3f}"])
    return out.getvalue()


def write_metrics(path: Path, history: list[EpochRecord] | tuple[EpochRecord, ...], columns: list[str]) -> None:
    atomic_write_text(path, metrics_csv(history, columns))


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
