"""The files a run leaves: metrics.csv, the weights (.pt and .safetensors), the code that loads them and,
for a classifier, its class names (classes.json)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from builder.compile.codegen import GeneratedCode, with_class_names
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
                            readme: bool = False, classes: list[str] | None = None,
                            single_output: bool = False) -> list[Path]:
    """The weights (.pt and .safetensors) and model.py; with `readme`, a README on loading them; with `classes`
    (a classifier's names, by label), classes.json, and both the README and model.py name them. `single_output`:
    the classifier gives one output for two classes (BCE losses), not one score per class."""
    out_dir.mkdir(parents=True, exist_ok=True)
    class_name = code.class_names[model_name]
    written = []
    for suffix in (".pt", ".safetensors"):
        path = out_dir / f"{class_name}{suffix}"
        save_weights(state, path, classes)
        written.append(path)
    texts = {"model.py": with_class_names(code, model_name, classes, single_output).source if classes else code.source}
    if classes:
        texts[CLASSES_FILE] = json.dumps(classes, indent=1) + "\n"
    if readme:
        texts["README.md"] = load_readme(class_name, classes, single_output)
    for name, text in texts.items():
        atomic_write_text(out_dir / name, text)
        written.append(out_dir / name)
    return written


CLASSES_FILE = "classes.json"


def load_readme(class_name: str, classes: list[str] | None = None, single_output: bool = False) -> str:
    text = LOAD_README.format(cls=class_name)
    if not classes:
        return text
    # In a code block, as JSON strings: a name from the data (a folder's) can break neither the list nor the page.
    listing = "\n".join(f"{label}: {json.dumps(name)}" for label, name in enumerate(classes))
    template = BINARY_README if single_output else CLASSES_README
    return text + template.format(cls=class_name, file=CLASSES_FILE, listing=listing)


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

CLASSES_README = """
## Classes

`{cls}` gives one score per class: output `i` scores class `i`, and the largest score is the prediction.
`{file}` holds the class names in that order (a JSON list):

```text
{listing}
```

```python
import json

classes = json.load(open("{file}"))
names = [classes[i] for i in prediction.argmax(dim=1).tolist()]  # one name per input of the batch
```
"""

BINARY_README = """
## Classes

`{cls}` tells two classes apart with one output: class 1 when it is above 0 (a raw score, as BCEWithLogitsLoss
trains it) or above 0.5 (after a Sigmoid, for BCELoss), else class 0. `{file}` holds the class names (a JSON
list):

```text
{listing}
```

```python
import json

classes = json.load(open("{file}"))
threshold = 0.0  # 0.5 if the model ends with a Sigmoid (trained with BCELoss)
names = [classes[int(p > threshold)] for p in prediction[:, 0].tolist()]  # one name per input of the batch
```
"""


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
