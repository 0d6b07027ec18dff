"""A standalone `train.py`: the project's training as one plain PyTorch script beside `model.py`.

It runs on one device (`python train.py`) or on many with torchrun (DistributedDataParallel), and
reproduces the app's run for the same seed: the same model, data, split and first-epoch loss.
The script is script_template.py, a linted module of this package, filled in: the project's settings
go into its settings block as constants written with repr() (a project file's strings, paths and
column names, can only ever become string literals), and NN Builder's own reader for the project's
source kind is copied into its data reader block (so there is one implementation, and the script
needs nothing but torch, plus numpy/Pillow where the reader does).
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import builder.core.shapes as shapes_module
import builder.train.batches as batches_module
import builder.train.data.arrays as arrays_module
import builder.train.data.base as base_module
import builder.train.data.csv_source as csv_module
import builder.train.data.idx as idx_module
import builder.train.data.images as images_module
import builder.train.data.synthetic as synthetic_module
from builder.train.losses import BINARY_OR_ONE_HOT, INDEX, LOSSES
from builder.train.objective import Objective
from builder.train.schedules import SCHEDULES
from builder.train.setup import Run
from builder.train.speed import image_model

TEMPLATE = "script_template.py"  # in this package
# source kind -> (its reader module, the function that loads it, what the script then needs)
READERS = {
    "synthetic": (synthetic_module, "load", "torch"),
    "image_folder": (images_module, "load", "torch, numpy and Pillow"),
    "npz": (arrays_module, "load_npz", "torch and numpy"),
    "npy": (arrays_module, "load_npy", "torch and numpy"),
    "idx": (idx_module, "load", "torch and numpy"),
    "csv": (csv_module, "load", "torch and numpy"),
}
_BUILDER_IMPORT = re.compile(r"^from builder[.\w]* import (\([^)]*\)|[^\n]*)\n", re.MULTILINE)
_FUTURE = re.compile(r"^from __future__ import annotations\n", re.MULTILINE)
_IMPORT = re.compile(r"^(?:import [\w.]+(?: as \w+)?|from [\w.]+ import [\w, ]+)$", re.MULTILINE)


def training_script(run: Run) -> str:
    needs = READERS[run.settings.data.source.get("kind", "synthetic")][2]
    return filled_script(TEMPLATE, run, settings_of(run), {"model": run.class_name, "needs": needs})


def filled_script(template_name: str, run: Any, settings: dict[str, Any], fields: dict[str, str],
                  split: bool = True) -> str:
    """A template of this package filled in for the run (a supervised one, or a GAN's: gan_script_template.py):
    its settings, the data reader for the run's source kind (and the split, with `split`), the docstring's
    fields (and {project})."""
    kind = run.settings.data.source.get("kind", "synthetic")
    reader, load_function, _needs = READERS[kind]
    template = resources.files(__package__).joinpath(template_name).read_text(encoding="utf-8")
    docstring, template_imports, code = split_template(template)
    embedded = [source_parts(inspect.getsource(m)) for m in (shapes_module, base_module, reader)]
    imports = set(template_imports) | {line for _, found in embedded for line in found}
    code = fill_section(code, "settings", lambda block: settings_block(block, settings))
    code = fill_section(code, "data reader",
                        lambda _: reader_section(kind, load_function, [t for t, _ in embedded], split))
    docstring = docstring.format(**fields, project=_project_name(run))
    return f"{docstring}\n\nfrom __future__ import annotations\n\n{import_block(imports)}\n\n{code}"


def split_template(template: str) -> tuple[str, list[str], str]:
    """The template's docstring, its import lines (less builder's), and its code from the settings on."""
    docstring_end = template.index('"""', 3) + 3
    code_start = template.index(_markers("settings")[0])
    _, imports = source_parts(template[docstring_end:code_start])  # what else lies there is the note on the template
    return template[:docstring_end], imports, template[code_start:]


# What the copied pieces' translation marks (builder.core.i18n's tr, trn and N_) are in the script: English only.
ENGLISH_ONLY = '''def N_(message):  # noqa: N802 - NN Builder's mark for a text people read; the script speaks English
    return message


def tr(message, **values):
    return message.format(**values) if values else message


def trn(singular, plural, n, **values):
    return tr(singular if n == 1 else plural, **values)
'''
_MARKED = re.compile(r"\b(?:tr|trn|N_)\(")


def reader_section(kind: str, load_function: str, modules: list[str], split: bool = True) -> str:
    """The reader for a source kind and the shared pieces it uses, ending with the name the template calls it by."""
    return "\n\n".join([
        f"# NN Builder's own reader for '{kind}' sources, copied here so this file runs on its own, and the shared\n"
        f"# pieces it uses (shapes, the data base{', the split' if split else ''}).\n",
        *([ENGLISH_ONLY] if any(_MARKED.search(m) for m in modules) else []),
        *modules,
        *([inspect.getsource(batches_module.Split), inspect.getsource(batches_module.split_indices)] if split else []),
        f"load_source = {load_function}  # the reader for '{kind}' sources, above\n",
    ])


def source_parts(text: str) -> tuple[str, list[str]]:
    """Python source without its imports, and its (non-builder) import lines: the script holds what the
    builder imports bring (shapes, the data base, the reader) itself and gathers the rest at its top."""
    text = _FUTURE.sub("", _BUILDER_IMPORT.sub("", text))
    imports = _IMPORT.findall(text)
    return _IMPORT.sub("", text).strip() + "\n", imports


def _markers(section: str) -> tuple[str, str]:
    return f"# --- {section} (written by NN Builder) ---\n", f"# --- end of {section} ---\n"


def fill_section(code: str, section: str, fill: Callable[[str], str]) -> str:
    """The code with what lies between a section's two marker lines replaced by fill(what lies there)."""
    start, end = _markers(section)
    before, found_start, rest = code.partition(start)
    inside, found_end, after = rest.partition(end)
    if not (found_start and found_end):
        raise ValueError(f"the training script template lacks its {section} section")
    return before + start + fill(inside) + end + after


def settings_block(block: str, values: dict[str, Any]) -> str:
    """The template's settings lines, each with the project's value instead of its placeholder and its note kept."""
    lines = {line.partition(" = ")[0]: line for line in block.splitlines()}
    if lines.keys() != values.keys():
        raise ValueError(f"the template's settings {sorted(lines)} are not the script's {sorted(values)}")
    notes = {name: line[line.find("  # "):] if "  # " in line else "" for name, line in lines.items()}
    return "".join(f"{name} = {_literal(values[name])}{notes[name]}\n" for name in lines)


def settings_of(run: Run) -> dict[str, Any]:
    data, training = run.settings.data, run.settings.training
    return {
        "MODEL": run.class_name,
        "SOURCE": data.source,
        "DATA_FOLDER": str(run.project.folder),
        "TASK": data.task,
        "INPUT_SHAPE": tuple(run.report.infos[run.report.inputs[0]].shape),
        "OUTPUT_SHAPE": tuple(run.report.infos[run.report.outputs[0]].shape),
        "BATCH_SIZE": data.batch_size,
        "SHUFFLE": data.shuffle,
        "NUM_WORKERS": data.num_workers,
        "VAL_SPLIT": data.val_split,
        "DATA_SEED": data.seed if data.seed is not None else training.seed,
        "IN_MEMORY": data.in_memory,
        "LOSS": training.loss,
        "LOSS_TAKES_LOGITS": LOSSES[training.loss].expects == "logits",
        "CLASS_TARGETS": _class_targets(run.objective),
        "NUM_CLASSES": run.objective.num_classes,
        "OPTIMIZER": training.optimizer,
        "OPTIMIZER_OPTIONS": dict(training.options),
        "LR": training.lr,
        "EPOCHS": training.epochs,
        "SCHEDULE": _schedule(training.schedule, training.epochs),
        "SEED": training.seed,
        "DEVICE": "cuda" if training.device == "cuda:all" else training.device,  # all GPUs: run it with torchrun
        "MIXED_PRECISION": training.mixed_precision,
        "CHANNELS_LAST": training.channels_last and image_model(run),  # as the engine decides: the same losses
        "COMPILE": training.compile,
        "THREADS": training.threads,
        "KEEP_BEST": training.keep_best,
        "EARLY_STOPPING": training.early_stopping,
    }


def _class_targets(objective: Objective) -> str | None:
    """How class labels meet the loss: as indices, as one 0/1 value (one output), or one-hot; None: not classes."""
    if objective.num_classes is None:
        return None
    if objective.loss.classification == INDEX:
        return "index"
    if objective.loss.classification == BINARY_OR_ONE_HOT and objective.single_output:
        return "binary"
    return "one_hot"


def _schedule(schedule: tuple[str, dict[str, Any]] | None, epochs: int) -> tuple[str, dict[str, Any]] | None:
    """The schedule with every option written out: the app's defaults for those the project leaves unset."""
    if not schedule:
        return None
    name, options = schedule
    return name, {**SCHEDULES[name].from_run(epochs), **{k: v for k, v in options.items() if v is not None}}


def _project_name(run: Run) -> str:
    if run.project.path is None:
        return "an untitled project"
    # A file name may hold quotes or backslashes: quoted and escaped, it cannot end the docstring it goes into.
    name = run.project.path.name
    return json.dumps(name, ensure_ascii=not name.isprintable())


def import_block(lines: set[str]) -> str:
    """Import lines in isort's order: the standard library, then the rest; plain imports first in each,
    and the names of one module's several `from` lines merged into one."""
    merged: dict[str, set[str]] = {}
    plain = set()
    for line in lines:
        if line.startswith("from "):
            module, names = line[5:].split(" import ")
            merged.setdefault(module, set()).update(n.strip() for n in names.split(","))
        else:
            plain.add(line)

    def top(module: str) -> str:
        return module.split(".")[0]

    def names_order(name: str) -> tuple[bool, str]:  # isort: classes (capitalized) before functions
        return not name[0].isupper(), name.lower()

    groups = []
    for stdlib in (True, False):
        chosen = sorted(p for p in plain if (top(p.split()[1]) in sys.stdlib_module_names) == stdlib)
        chosen += [f"from {m} import {', '.join(sorted(n, key=names_order))}" for m, n in sorted(merged.items())
                   if (top(m) in sys.stdlib_module_names) == stdlib]
        if chosen:
            groups.append("\n".join(chosen))
    return "\n\n".join(groups)


def _literal(value: Any) -> str:
    """repr() of plain data, tuples kept as tuples: only numbers, booleans, None and strings."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_literal(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    raise TypeError(f"cannot write {type(value).__name__} into the training script")


def write_training_script(run: Any, folder: Path) -> list[Path]:
    """`train.py` and `model.py` into a folder, for a supervised run or a GAN's (script_gan.py)."""
    from builder.core.atomic import atomic_write_text
    from builder.train.gan import GanRun
    from builder.train.script_gan import gan_training_script

    source = gan_training_script(run) if isinstance(run, GanRun) else training_script(run)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "train.py", source)
    atomic_write_text(folder / "model.py", run.code.source)
    return [folder / "train.py", folder / "model.py"]
