"""A standalone `train.py`: the project's training as one plain PyTorch script beside `model.py`.

It runs on one device (`python train.py`) or on many with torchrun (DistributedDataParallel), and
reproduces the app's run for the same seed: the same model, data, split and first-epoch loss.
The data is read by NN Builder's own reader for the project's source kind, copied into the script
(so there is one implementation, and the script needs nothing but torch, plus numpy/Pillow where
the reader does). Settings sit at the top as constants, written with repr(): a project file's
strings (paths, column names) can only ever become string literals.
"""

from __future__ import annotations

import inspect
import re
import sys
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
from builder.train.schedules import SCHEDULES
from builder.train.setup import Run

# source kind -> (its reader module, the function that loads it)
READERS = {
    "synthetic": (synthetic_module, "load"),
    "image_folder": (images_module, "load"),
    "npz": (arrays_module, "load_npz"),
    "npy": (arrays_module, "load_npy"),
    "idx": (idx_module, "load"),
    "csv": (csv_module, "load"),
}
NEEDS = {"synthetic": "", "image_folder": ", numpy and Pillow", "npz": " and numpy", "npy": " and numpy",
         "idx": " and numpy", "csv": " and numpy"}
_BUILDER_IMPORT = re.compile(r"^from builder[.\w]* import (\([^)]*\)|[^\n]*)\n", re.MULTILINE)
_FUTURE = re.compile(r"^from __future__ import annotations\n", re.MULTILINE)
_IMPORT = re.compile(r"^(?:import [\w.]+(?: as \w+)?|from [\w.]+ import [\w, ]+)$", re.MULTILINE)


def module_text(module: Any) -> tuple[str, list[str]]:
    """A module's source without its imports, and its (non-builder) import lines: the script holds
    what the builder imports bring (shapes, the data base) itself and gathers the rest at its top."""
    text = _FUTURE.sub("", _BUILDER_IMPORT.sub("", inspect.getsource(module)))
    imports = _IMPORT.findall(text)
    return _IMPORT.sub("", text).strip() + "\n", imports


def training_script(run: Run) -> str:
    settings = run.settings
    data, training = settings.data, settings.training
    kind = data.source.get("kind", "synthetic")
    reader, load_function = READERS[kind]
    objective = run.objective
    if objective.num_classes is None:
        class_targets = None
    elif objective.loss.classification == INDEX:
        class_targets = "index"
    elif objective.loss.classification == BINARY_OR_ONE_HOT and objective.single_output:
        class_targets = "binary"
    else:
        class_targets = "one_hot"
    schedule = None
    if training.schedule:
        name, options = training.schedule
        filled = {**SCHEDULES[name].from_run(training.epochs), **{k: v for k, v in options.items() if v is not None}}
        schedule = (name, filled)
    constants = {
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
        "CLASS_TARGETS": class_targets,
        "NUM_CLASSES": objective.num_classes,
        "OPTIMIZER": training.optimizer,
        "OPTIMIZER_OPTIONS": dict(training.options),
        "LR": training.lr,
        "EPOCHS": training.epochs,
        "SCHEDULE": schedule,
        "SEED": training.seed,
        "DEVICE": training.device,
        "MIXED_PRECISION": training.mixed_precision,
        "KEEP_BEST": training.keep_best,
        "EARLY_STOPPING": training.early_stopping,
    }
    notes = {
        "SOURCE": "the data source; relative paths resolve against DATA_FOLDER",
        "CLASS_TARGETS": "how class labels meet the loss: index, binary (one output), one_hot; None: values",
        "SCHEDULE": "(torch.optim.lr_scheduler class, options), stepped once per epoch",
        "KEEP_BEST": "save the weights of the epoch with the best validation loss",
    }
    lines = []
    for name, value in constants.items():
        note = f"  # {notes[name]}" if name in notes else ""
        lines.append(f"{name} = {_literal(value)}{note}")
    embedded = [module_text(m) for m in (shapes_module, base_module, reader)]
    imports = set(BASE_IMPORTS) | {line for _, found in embedded for line in found}
    header = HEADER.format(cls=run.class_name, needs=NEEDS[kind], imports=import_block(imports),
                           project=run.project.path.name if run.project.path else "an untitled project")
    parts = [
        header,
        "\n".join(lines),
        "",
        TRAINING_CODE.replace("__LOAD__", load_function),
        "",
        "# " + "-" * 96,
        f"# Reading the data: NN Builder's own reader for '{kind}' sources, copied here so this file runs",
        "# on its own. Below it, the shared pieces it uses (shapes, the data base, the split).",
        "# " + "-" * 96,
        "",
        *(text for text, _ in embedded),
        inspect.getsource(batches_module.Split),
        inspect.getsource(batches_module.split_indices),
        FOOTER,
    ]
    return "\n".join(parts)


BASE_IMPORTS = (
    "import argparse", "import csv", "import io", "import math", "import os", "import sys", "import time",
    "from pathlib import Path", "import torch", "import torch.distributed as dist", "import torch.nn as nn",
    "import torch.nn.functional as F", "from torch.nn.parallel import DistributedDataParallel",
    "from torch.utils.data import DataLoader, DistributedSampler, Subset, TensorDataset",
)


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


HEADER = '''"""Train {cls} as NN Builder does, anywhere PyTorch runs. Generated by NN Builder from {project}.

    python train.py [--epochs N] [--out DIR] [--device D] [--resume]
    torchrun --nproc_per_node=4 train.py [...]      one process per GPU (or CPU), DistributedDataParallel
    torchrun --nnodes=2 --node_rank=0 --master_addr=HOST --master_port=29500 --nproc_per_node=8 train.py

Needs torch{needs}, and model.py (the generated model) beside this file. Writes OUT/{cls}.pt (a state_dict
for the class in model.py), OUT/metrics.csv (a row per epoch) and OUT/checkpoint.pt (for --resume).
The settings below are the project's; change them here freely.
"""

from __future__ import annotations

{imports}

from model import {cls} as Model
'''

TRAINING_CODE = '''

def load_data():
    """The data set, read as NN Builder reads it (see the reader at the end of this file)."""
    request = SourceRequest(spec=SOURCE, input_shape=INPUT_SHAPE, output_shape=OUTPUT_SHAPE, task=TASK,
                            folder=Path(DATA_FOLDER), seed=DATA_SEED, in_memory=IN_MEMORY)
    try:
        return __LOAD__(request)
    except DataError as error:
        sys.exit(f"train.py: {error}")


def part(data, indices):
    """A split's samples: from the in-memory tensors when there are some, else read from disk."""
    if data.tensors is not None:
        x, y = data.tensors
        return TensorDataset(x[indices], x[indices] if y is None else y[indices])
    return Subset(data.dataset, indices.tolist())


def target(y):
    """What the loss compares the output with (class labels become what the loss expects)."""
    if CLASS_TARGETS == "binary":
        return y.float().unsqueeze(1)
    if CLASS_TARGETS == "one_hot":
        return F.one_hot(y, NUM_CLASSES).float()
    return y


def predict(output):
    if CLASS_TARGETS == "binary":
        return (output.reshape(-1) > (0.0 if LOSS_TAKES_LOGITS else 0.5)).long()
    return output.argmax(dim=1)


def pick_device(name, local_rank):
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda":
        device = torch.device("cuda", local_rank if int(os.environ.get("WORLD_SIZE", 1)) > 1 else (device.index or 0))
        torch.cuda.set_device(device)
    return device


def evaluate(model, loader, criterion, device, distributed):
    """Validation loss and accuracy, summed over every process's share."""
    sums = torch.zeros(3, dtype=torch.float64, device=device)  # loss * n, correct, n
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            output = model(x)
            sums[0] += criterion(output.float(), target(y)).double() * len(x)
            if CLASS_TARGETS is not None:
                sums[1] += (predict(output) == y).sum()
            sums[2] += len(x)
    model.train()
    if distributed:
        dist.all_reduce(sums)
    count = max(sums[2].item(), 1)
    return sums[0].item() / count, (sums[1].item() / count if CLASS_TARGETS is not None else None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="total epochs (default: %(default)s)")
    parser.add_argument("--out", default="runs", help="output folder (default: %(default)s)")
    parser.add_argument("--device", default=DEVICE, help="auto, cpu, cuda (default: %(default)s)")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    args = parser.parse_args()

    world = int(os.environ.get("WORLD_SIZE", 1))
    distributed = world > 1
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = pick_device(args.device, local_rank)
    if distributed:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    rank = dist.get_rank() if distributed else 0
    out = Path(args.out)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)

    data = load_data()
    split = split_indices(len(data.dataset), VAL_SPLIT, DATA_SEED)
    train_set, val_set = part(data, split.train), part(data, split.val)

    torch.manual_seed(SEED)  # the same initial weights as NN Builder's, for the same seed
    model = Model().to(device)
    optimizer = getattr(torch.optim, OPTIMIZER)(model.parameters(), lr=LR, **OPTIMIZER_OPTIONS)
    scheduler = getattr(torch.optim.lr_scheduler, SCHEDULE[0])(optimizer, **SCHEDULE[1]) if SCHEDULE else None
    criterion = getattr(nn, LOSS)()
    if distributed:
        sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=SHUFFLE, seed=SEED)
        loader = DataLoader(train_set, batch_size=BATCH_SIZE, sampler=sampler, num_workers=NUM_WORKERS)
        val_sampler = DistributedSampler(val_set, num_replicas=world, rank=rank, shuffle=False)
        val_loader = DataLoader(val_set, batch_size=BATCH_SIZE, sampler=val_sampler, num_workers=NUM_WORKERS,
                                generator=torch.Generator().manual_seed(0))
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    else:
        loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=SHUFFLE, num_workers=NUM_WORKERS,
                            generator=torch.Generator().manual_seed(SEED))
        # Its own generator: a DataLoader without one draws from the global RNG that dropout uses.
        val_loader = DataLoader(val_set, batch_size=BATCH_SIZE, num_workers=NUM_WORKERS,
                                generator=torch.Generator().manual_seed(0))
        net = model
    amp = MIXED_PRECISION and device.type == "cuda"
    amp_dtype = torch.bfloat16 if amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=amp and amp_dtype == torch.float16)

    start, history, best = 0, [], None
    if args.resume:
        state = torch.load(out / "checkpoint.pt", map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None and state["scheduler"] is not None:
            scheduler.load_state_dict(state["scheduler"])
        start, history, best = state["epoch"], state["history"], state["best"]
        torch.set_rng_state(state["rng"])
        if not distributed:
            loader.generator.set_state(state["shuffle"])
    bad_epochs = 0
    for epoch in range(start + 1, args.epochs + 1):
        if distributed:
            sampler.set_epoch(epoch)
        started = time.perf_counter()
        sums = torch.zeros(2, dtype=torch.float64, device=device)  # loss * n, n
        lr = optimizer.param_groups[0]["lr"]
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp):
                output = net(x)
            loss = criterion(output.float(), target(y))
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            sums += torch.stack([loss.detach().double() * len(x), torch.tensor(len(x), device=device).double()])
        if distributed:
            dist.all_reduce(sums)
        train_loss = (sums[0] / sums[1]).item()
        if not math.isfinite(train_loss):
            sys.exit(f"train.py: the loss became {train_loss} in epoch {epoch}; try a lower learning rate")
        val_loss, val_accuracy = evaluate(model, val_loader, criterion, device, distributed) if len(val_set) else (
            None, None)
        monitored = val_loss if val_loss is not None else train_loss
        if scheduler is not None:
            scheduler.step(monitored) if SCHEDULE[0] == "ReduceLROnPlateau" else scheduler.step()
        history.append([epoch, train_loss, val_loss, val_accuracy, lr, time.perf_counter() - started])
        improved = best is None or monitored < best["loss"]
        if improved:
            best = {"epoch": epoch, "loss": monitored,
                    "model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()} if KEEP_BEST else None}
            bad_epochs = 0
        else:
            bad_epochs += 1
        if rank == 0:  # one writer: the others only train
            write_metrics(out / "metrics.csv", history)
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict() if scheduler else None, "epoch": epoch,
                        "history": history, "best": best, "rng": torch.get_rng_state(),
                        "shuffle": loader.generator.get_state() if not distributed else None}, out / "checkpoint.pt")
            shown = f"  val_loss {val_loss:.4f}" if val_loss is not None else ""
            shown += f"  val_accuracy {val_accuracy:.1%}" if val_accuracy is not None else ""
            print(f"epoch {epoch}/{args.epochs}  train_loss {train_loss:.4f}{shown}  {history[-1][5]:.1f}s", flush=True)
        if EARLY_STOPPING and bad_epochs >= EARLY_STOPPING:
            break
    if rank == 0 and history:
        weights = best["model"] if KEEP_BEST and best and best["model"] is not None else model.state_dict()
        torch.save(weights, out / f"{MODEL}.pt")
        print(f"wrote {out / (MODEL + '.pt')} and {out / 'metrics.csv'}")
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


def write_metrics(path, history):
    """The same columns as `builder train` writes."""
    columns = ["epoch", "train_loss", "val_loss"] + (["val_accuracy"] if CLASS_TARGETS is not None else [])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\\n")
    writer.writerow(columns + ["lr", "seconds"])
    for epoch, train_loss, val_loss, val_accuracy, lr, seconds in history:
        row = [epoch, f"{train_loss:.6g}", "" if val_loss is None else f"{val_loss:.6g}"]
        if CLASS_TARGETS is not None:
            row.append("" if val_accuracy is None else f"{val_accuracy:.6g}")
        writer.writerow(row + [f"{lr:.6g}", f"{seconds:.3f}"])
    path.write_text(buffer.getvalue())
'''

FOOTER = '''

if __name__ == "__main__":
    main()
'''


def write_training_script(run: Run, folder: Path) -> list[Path]:
    """`train.py` and `model.py` into a folder."""
    from builder.core.atomic import atomic_write_text

    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "train.py", training_script(run))
    atomic_write_text(folder / "model.py", run.code.source)
    return [folder / "train.py", folder / "model.py"]
