"""The training engine against an idiomatic hand-written loop on the CPU, and each speed lever on its own.

Both train the example project's model (ShapesNet: two conv + max-pool stages and a Linear) on the built-in
shapes set in memory, with the same batch size, epochs, optimizer, seed and validation split:
- hand-written: DataLoader(TensorDataset(x, y), shuffle=True); zero_grad / loss / backward / step; then
  model.eval() and validation under torch.no_grad() each epoch: what a PyTorch tutorial writes;
- engine: `builder.train.engine.Trainer` with the project's settings at their defaults, every event consumed.

Each lever is measured alone on the hand-written loop (on vs off, everything else as written):
channels_last memory format, fused and foreach optimizer steps, batches sliced from pre-shuffled tensors
instead of a DataLoader, torch.inference_mode for validation, one thread against PyTorch's default, and
torch.compile with its compile time counted (torch._dynamo.reset() before each run, so none reuses
another's graph). Interop threads are left out: torch can set them only once per process, and an eager
training step runs no inter-op work. Then a 10-epoch run of the engine with each setting at its default and
flipped: the comparison the defaults were chosen by (--long-epochs 0 skips it).
Run: nice .venv/bin/python bench/train_bench.py [--samples N] [--epochs N] [--repeats N] [--long-epochs N]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from torch.utils.data import DataLoader, TensorDataset

from builder.core.templates import EXAMPLE, load_template
from builder.train.batches import TensorBatches
from builder.train.engine import Trainer
from builder.train.events import Failed
from builder.train.setup import Run, prepare

print = functools.partial(print, flush=True)  # noqa: A001 - each line as soon as it is measured


clock = time.perf_counter  # --clock process: CPU time of this process, for one thread on a busy machine


@dataclass(frozen=True)
class Levers:
    """How the hand-written loop runs; the defaults are the idiomatic loop."""

    channels_last: bool = False
    fused: bool | None = None  # torch.optim's own defaults: the for-loop step on the CPU
    foreach: bool | None = None
    sliced: bool = False  # TensorBatches instead of DataLoader(TensorDataset)
    inference_mode: bool = False  # for validation, instead of torch.no_grad()
    threads: int | None = None
    compile: bool = False


def prepared(samples: int, epochs: int, batch: int, **training) -> Run:
    project = load_template(EXAMPLE)
    project.data = {**project.data, "source": {"kind": "synthetic", "name": "shapes", "samples": samples},
                    "val_split": 0.2, "batch_size": batch}
    project.training = {**project.training, "epochs": epochs, "device": "cpu", **training}
    return prepare(project)


def engine(run: Run) -> float:
    start = clock()
    for event in Trainer(run):
        if isinstance(event, Failed):
            raise SystemExit(f"the engine failed: {event}")
    return clock() - start


def hand_written(run: Run, levers: Levers = Levers()) -> float:
    """The loop a person would write, with the given levers pulled; seconds for all epochs, setup included
    (so that torch.compile's compile time counts)."""
    threads = torch.get_num_threads()
    if levers.threads:
        torch.set_num_threads(levers.threads)
    try:
        return _hand_written(run, levers)
    finally:
        torch.set_num_threads(threads)


def _hand_written(run: Run, levers: Levers) -> float:
    training = run.settings.training
    x, y = run.data.tensors
    train_x, train_y, val_x, val_y = x[run.split.train], y[run.split.train], x[run.split.val], y[run.split.val]
    batch = run.settings.data.batch_size
    generator = torch.Generator().manual_seed(training.seed)
    if levers.sliced:
        train, val = TensorBatches(train_x, train_y, batch, True, generator), TensorBatches(val_x, val_y, batch,
                                                                                              False, None)
    else:
        train = DataLoader(TensorDataset(train_x, train_y), batch_size=batch, shuffle=True, generator=generator)
        val = DataLoader(TensorDataset(val_x, val_y), batch_size=batch)
    fmt = torch.channels_last if levers.channels_last else torch.contiguous_format
    start = clock()
    torch.manual_seed(training.seed)
    model = run.model_class().to(memory_format=fmt)
    optimizer = torch.optim.Adam(model.parameters(), lr=training.lr, fused=levers.fused, foreach=levers.foreach)
    criterion = torch.nn.CrossEntropyLoss()
    if levers.compile:
        torch._dynamo.reset()
    step_model = torch.compile(model) if levers.compile else model
    no_grad = torch.inference_mode if levers.inference_mode else torch.no_grad
    for _epoch in range(training.epochs):
        model.train()
        for inputs, labels in train:
            optimizer.zero_grad()
            loss = criterion(step_model(inputs.contiguous(memory_format=fmt)), labels)
            loss.backward()
            optimizer.step()
        model.eval()
        correct = 0
        with no_grad():
            for inputs, labels in val:
                correct += (model(inputs.contiguous(memory_format=fmt)).argmax(1) == labels).sum().item()
    return clock() - start


def timed(runs: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Every run `repeats` times, interleaved, so that drift in the machine's load hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            times[name].append(run())
    return times


def line(name: str, on: list[float], off: list[float], note: str = "") -> str:
    return (f"  {name:34s} on {min(on):6.3f} / {statistics.median(on):6.3f} s   off {min(off):6.3f} / "
            f"{statistics.median(off):6.3f} s   on/off {min(on) / min(off):5.2f} / "
            f"{statistics.median(on) / statistics.median(off):5.2f}{note}")


LEVERS = {  # name: the loop with the lever pulled, measured against the idiomatic loop
    "channels_last": Levers(channels_last=True),
    "fused Adam": Levers(fused=True),
    "foreach Adam": Levers(foreach=True),
    "sliced batches (no DataLoader)": Levers(sliced=True),
    "inference_mode for validation": Levers(inference_mode=True),
    "1 thread": Levers(threads=1),
}


def levers(run: Run, repeats: int, compile_too: bool) -> None:
    runs = {"idiomatic": lambda: hand_written(run)}
    runs.update({name: (lambda lv=lv: hand_written(run, lv)) for name, lv in LEVERS.items()})
    times = timed(runs, repeats)
    print(f"levers, each alone on the hand-written loop, {run.settings.training.epochs} epochs (best / median):")
    for name in LEVERS:
        print(line(name, times[name], times["idiomatic"]))
    if not compile_too:
        return
    compiled = [hand_written(run, Levers(compile=True)) for _ in range(max(repeats // 2, 1))]
    print(line("torch.compile (compile time in)", compiled, times["idiomatic"],
               f"   first {compiled[0]:.1f} s"))


def headline(samples: int, epochs: int, batch: int, repeats: int) -> Run:
    run = prepared(samples, epochs, batch)
    bare_levers = Levers(channels_last=run.settings.training.channels_last, sliced=True, inference_mode=True)
    times = timed({"hand-written": lambda: hand_written(run), "engine": lambda: engine(run),
                   "bare": lambda: hand_written(run, bare_levers)}, repeats)
    print(f"{len(run.split.train):,} training + {len(run.split.val):,} validation samples "
          f"{tuple(run.data.tensors[0].shape[1:])}, batch {batch}, {epochs} epochs, {torch.get_num_threads()} "
          f"threads, {repeats} runs each")
    for name, seconds in times.items():
        print(f"  {name:13s} best {min(seconds):7.3f} s   median {statistics.median(seconds):7.3f} s")
    best = {name: min(seconds) for name, seconds in times.items()}
    median = {name: statistics.median(seconds) for name, seconds in times.items()}
    print(f"engine / hand-written: best {best['engine'] / best['hand-written']:.3f}, median "
          f"{median['engine'] / median['hand-written']:.3f}  (target <= 0.8)")
    print(f"engine overhead (vs the same loop with the engine's levers, no events): "
          f"{best['engine'] / best['bare'] - 1:+.1%} best, {median['engine'] / median['bare'] - 1:+.1%} median  "
          f"(target < 3%)")
    return run


def long_run(samples: int, epochs: int, batch: int, repeats: int, compile_too: bool) -> None:
    """The engine over `epochs` epochs with each setting at its default and flipped: what chose the defaults."""
    default = prepared(samples, epochs, batch)
    t = default.settings.training
    flipped = {f"channels_last {not t.channels_last}": {"channels_last": not t.channels_last},
               "threads 1": {"threads": 1},
               **({f"compile {not t.compile}": {"compile": not t.compile}} if compile_too else {})}
    runs = {"default": lambda: engine(default), "hand-written loop instead": lambda: hand_written(default)}
    for name, change in flipped.items():
        run = replace(default, settings=replace(default.settings, training=replace(t, **change)))
        runs[name] = lambda run=run, compiled="compile" in name: _engine_fresh(run, compiled)
    times = timed(runs, repeats)
    print(f"{epochs}-epoch runs of the engine, each setting flipped alone against the defaults "
          f"(ratio < 1: the flipped setting is faster):")
    for name in runs:
        if name != "default":
            print(line(name, times[name], times["default"]))


def _engine_fresh(run: Run, compiled: bool) -> float:
    if compiled:
        torch._dynamo.reset()  # its compile time counted every time
    return engine(run)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--long-epochs", type=int, default=10)
    parser.add_argument("--long-repeats", type=int, default=3)
    parser.add_argument("--no-levers", action="store_true", help="only the engine against the hand-written loop")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads for every run (default: torch's, one per core); on a machine shared with "
                             "other work, 1 keeps the figures from drowning in the threads' waiting on each other")
    parser.add_argument("--clock", choices=("wall", "process"), default="wall",
                        help="process: this process's CPU time instead of the wall clock; with --threads 1 it hardly "
                             "feels other work on the machine (with more threads it counts their waiting too)")
    parser.add_argument("--no-compile", action="store_true", help="leave out torch.compile (minutes on a small CPU)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.clock == "process":
        global clock
        clock = time.process_time
    print(f"clock: {args.clock}")
    run = headline(args.samples, args.epochs, args.batch, args.repeats)
    if not args.no_levers:
        levers(run, args.repeats, not args.no_compile)
    if args.long_epochs:
        long_run(args.samples, args.long_epochs, args.batch, args.long_repeats, not args.no_compile)


if __name__ == "__main__":
    main()
