"""A finished run as the project keeps it: its settings, its metrics per epoch, how it ended.

Plain JSON, small (step losses thinned to a few hundred points), so the run history travels
inside the project file and earlier runs can be drawn next to a new one.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from builder.core.i18n import N_, tr
from builder.train.events import EpochRecord, Series

MAX_STEP_POINTS = 400


def thin(points: list[tuple[int, float]], limit: int = MAX_STEP_POINTS) -> list[list[float]]:
    """At most `limit` (step, loss) points, evenly spread, the last one kept."""
    if len(points) <= limit:
        return [[s, round(v, 6)] for s, v in points]
    stride = len(points) / limit
    chosen = [points[int(i * stride)] for i in range(limit - 1)] + [points[-1]]
    return [[s, round(v, 6)] for s, v in chosen]


def run_record(model: str, data: dict[str, Any], training: dict[str, Any], history: list[EpochRecord],
               outcome: str, message: str, step_losses: list[tuple[int, float]], started: float,
               best_epoch: int | None = None, series: tuple[Series, ...] = (),
               classes: tuple[str, ...] | None = None, health: list[Any] = ()) -> dict[str, Any]:
    """`step_losses`: (global step, value) of the run's first step series (the loss; D's loss for a GAN);
    `series`: what the run declared, kept so that its curves can be drawn again later."""
    epochs = [{"epoch": r.epoch, **r.values, "lr": r.lr, "seconds": round(r.seconds, 3)} for r in history]
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
        "series": [{"name": s.name, "label": s.label, "per": s.per, "plot": s.plot} for s in series],
        **({"classes": list(classes)} if classes else {}),
        **({"health": [s.to_dict() for s in thin_samples(list(health), HEALTH_KEPT)]} if health else {}),
    }


HEALTH_KEPT = 40  # layer-health samples kept with a run: enough to see its course, small in the project file


def thin_samples(samples: list[Any], limit: int) -> list[Any]:
    """At most `limit` of them, evenly spread, the last always among them."""
    if len(samples) <= limit:
        return samples
    stride = len(samples) / limit
    return [samples[int(i * stride)] for i in range(limit - 1)] + [samples[-1]]


def run_health(run: dict[str, Any]) -> list[Any]:
    """A kept run's layer-health samples (the record is data: what is not a sample is left out)."""
    from builder.train.health import HealthSample

    found = []
    for raw in run.get("health") or [] if isinstance(run.get("health"), list) else []:
        try:
            found.append(HealthSample.from_dict(raw))
        except (TypeError, ValueError, AttributeError):
            continue
    return found


def describe_run(run: dict[str, Any]) -> str:
    """One line for a list of runs: when, which model, how far, the last validation result, its weights.
    The record comes from the project file: what is not what it should be is left out, never a crash."""
    epochs = [e for e in run.get("epochs") or [] if isinstance(e, dict)] if isinstance(run.get("epochs"), list) else []
    last = epochs[-1] if epochs else {}
    parts = [str(run.get("started", "?")).replace("T", " "), str(run.get("model", "?")),
             tr("{count} epochs", count=len(epochs))]
    d_real, d_fake = _number(last.get("d_real")), _number(last.get("d_fake"))
    if d_real is not None and d_fake is not None:
        parts.append(f"D(x) {d_real:.2f} D(G(z)) {d_fake:.2f}")
    elif _number(last.get("val_accuracy")) is not None:
        parts.append(tr("acc {value:.1%}", value=last["val_accuracy"]))
    elif _number(last.get("val_loss")) is not None:
        parts.append(tr("val {value:.4f}", value=last["val_loss"]))
    if run.get("outcome") not in (None, "completed"):
        outcome = run["outcome"]
        parts.append(tr(_OUTCOMES[outcome]) if isinstance(outcome, str) and outcome in _OUTCOMES else str(outcome))
    if run.get("weights"):
        parts.append(tr("current weights") if run.get("current") is True else tr("weights kept"))
    return " · ".join(parts)


# A run's outcome as a list of runs shows it (the record keeps the key).
_OUTCOMES = {"stopped": N_("stopped"), "early_stopping": N_("early_stopping"), "failed": N_("failed")}


def _number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
