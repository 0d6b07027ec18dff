"""Trained weights kept with the project, so that a project opened again has its trained models back.

Each run's weights go into a folder beside the project file (`net.json` → `net.runs/`), as safetensors
named by the run's id: `<id>.safetensors`, or `<id>.generator.safetensors` and `<id>.discriminator.safetensors`
for a GAN. The run's record in the project names its files (`"weights"`), and one run is marked
`"current"`: the one whose weights the window exports and loads. The weights are written when the
project is saved (before the project file itself), never into a project that was not saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from builder.core.atomic import WriteError, atomic_write_bytes
from builder.core.i18n import tr
from builder.core.project import Project
from builder.train.checkpoint import CheckpointError, load_into, load_weights, save_weights
from builder.train.events import EpochRecord
from builder.train.gan import TrainedGan, gan_pair
from builder.train.setup import SetupError
from builder.train.trained import TrainedModel
from builder.train.weights import load_for_model

SUFFIX = ".runs"


def runs_folder(project_path: Path) -> Path:
    return project_path.with_name(project_path.stem + SUFFIX)


def file_names(run_id: str, trained: TrainedModel) -> dict[str, str]:
    """Each model's weights file, by its part in the run."""
    if isinstance(trained, TrainedGan):
        return {"generator": f"{run_id}.generator.safetensors", "discriminator": f"{run_id}.discriminator.safetensors"}
    return {"model": f"{run_id}.safetensors"}


def write(folder: Path, run_id: str, trained: TrainedModel) -> list[Path]:
    """The run's weights into the runs folder (made if need be); raises WriteError naming the file."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(folder, exc) from None
    names = file_names(run_id, trained)
    states = {"generator": trained.state, "discriminator": getattr(trained, "other", None), "model": trained.state}
    written = []
    for part, name in names.items():
        save_weights(states[part], folder / name, trained.classes if part == "model" else None)
        written.append(folder / name)
    return written


def copy_kept(runs: list[Any], old_folder: Path, new_folder: Path) -> None:
    """Saving under another name: the runs' weights files go along (those still there)."""
    for name in {n for run in runs for n in _files_of(run).values()}:
        source = old_folder / name
        if source.is_file() and not (new_folder / name).exists():
            try:
                new_folder.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(new_folder / name, source.read_bytes())
            except OSError as exc:
                raise WriteError(new_folder / name, exc) from None


def read(project: Project, run: dict[str, Any]) -> TrainedModel:
    """A kept run's weights, checked against the project's models as they are now. Raises CheckpointError."""
    files = _files_of(run)
    if project.path is None or not files:
        raise CheckpointError(tr("run {run}: no weights were kept for it", run=run.get("id")))
    folder = runs_folder(project.path)
    history = [EpochRecord.from_dict(e) for e in run.get("epochs") or [] if isinstance(e, dict)]
    classes = run.get("classes") if isinstance(run.get("classes"), list) else None
    if "generator" in files:
        return _read_gan(project, folder, files, history)
    name = run.get("model")
    if not isinstance(name, str) or name not in {m.name for m in project.models}:
        raise CheckpointError(tr("run {run}: its model '{model}' is no longer in the project", run=run.get("id"),
                                 model=name))
    code, state = load_for_model(project, name, folder / files["model"])
    return TrainedModel(name, code, state, history, classes=classes)


def _read_gan(project: Project, folder: Path, files: dict[str, str], history: list[EpochRecord]) -> TrainedGan:
    try:
        pair = gan_pair(project)
    except SetupError as exc:
        raise CheckpointError(tr("the GAN has problems to fix first ({problem})", problem=exc.problems[0])) from None
    states = []
    for part, name in ((pair.generator, files["generator"]), (pair.discriminator, files["discriminator"])):
        model = pair.classes[part]()
        load_into(model, load_weights(folder / name), str(folder / name))
        states.append({k: v.detach().clone() for k, v in model.state_dict().items()})
    return TrainedGan(pair.generator, pair.code, states[0], history, pair, states[1])


def _files_of(run: Any) -> dict[str, str]:
    """The run's weights files, as its record names them (damaged entries ignored: the record is data)."""
    files = run.get("weights") if isinstance(run, dict) else None
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str) and _plain_name(v)}


def _plain_name(name: str) -> bool:
    """A file name in the runs folder, never a path out of it (the project file is data, maybe hostile)."""
    return name == Path(name).name and name not in ("", ".", "..") and name.endswith(".safetensors")


def current_run(runs: list[Any]) -> dict[str, Any] | None:
    """The run marked current, else the newest with weights."""
    kept = [r for r in runs if isinstance(r, dict) and _files_of(r)]
    marked = [r for r in kept if r.get("current") is True]
    return (marked or kept or [None])[-1]
