"""A finished run as the project keeps it: its settings, its metrics per epoch, how it ended.

Plain JSON, small (step losses thinned to a few hundred points), so the run history travels
inside the project file and earlier runs can be drawn next to a new one.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from builder.train.events import GanEpochRecord

MAX_STEP_POINTS = 400


def thin(points: list[tuple[int, float]], limit: int = MAX_STEP_POINTS) -> list[list[float]]:
    """At most `limit` (step, loss) points, evenly spread, the last one kept."""
    if len(points) <= limit:
        return [[s, round(v, 6)] for s, v in points]
    stride = len(points) / limit
    chosen = [points[int(i * stride)] for i in range(limit - 1)] + [points[-1]]
    return [[s, round(v, 6)] for s, v in chosen]


def run_record(model: str, data: dict[str, Any], training: dict[str, Any], history: list[Any],
               outcome: str, message: str, step_losses: list[tuple[int, float]], started: float,
               best_epoch: int | None = None) -> dict[str, Any]:
    epochs = []
    for r in history:
        if isinstance(r, GanEpochRecord):
            row = {"epoch": r.epoch, "d_loss": r.d_loss, "g_loss": r.g_loss, "d_real": r.d_real,
                   "d_fake": r.d_fake, "lr": r.lr, "seconds": round(r.seconds, 3)}
        else:
            row = {"epoch": r.epoch, "train_loss": r.train_loss, "val_loss": r.val_loss, "lr": r.lr,
                   "seconds": round(r.seconds, 3)}
            if r.val_accuracy is not None:
                row["val_accuracy"] = r.val_accuracy
        epochs.append(row)
    return {
        "id": uuid.uuid4().hex[:8],
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
        "model": model,
        "outcome": outcome,  # completed, stopped, early_stopping or failed
        "message": message,
        "best_epoch": best_epoch,
        "settings": {"data": data, "training": training},
        "epochs": epochs,
        "steps": thin(step_losses),
    }


def describe_run(run: dict[str, Any]) -> str:
    """One line for a list of runs: when, which model, how far, the last validation result."""
    epochs = run.get("epochs") or []
    last = epochs[-1] if epochs else {}
    parts = [str(run.get("started", "?")).replace("T", " "), str(run.get("model", "?")), f"{len(epochs)} epochs"]
    if last.get("d_real") is not None:
        parts.append(f"D(x) {last['d_real']:.2f} D(G(z)) {last['d_fake']:.2f}")
    elif last.get("val_accuracy") is not None:
        parts.append(f"acc {last['val_accuracy']:.1%}")
    elif last.get("val_loss") is not None:
        parts.append(f"val {last['val_loss']:.4f}")
    if run.get("outcome") not in (None, "completed"):
        parts.append(str(run["outcome"]))
    return " · ".join(parts)
