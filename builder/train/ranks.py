"""One process of a multi-process run (distributed.py launches them): the same engine, each process training
its share of every epoch, DistributedDataParallel averaging the gradients.

Conventions, torchrun's: batch_size is per process, so a step of 4 processes × batch 64 learns from 256
samples. Every process draws the same shuffled order from the same seeded generator and takes every
world-th sample of it, padded to equal shares as DistributedSampler pads: each takes the same number of
steps, so none waits at a gradient average for a step another never takes. Validation is shared out
too, unpadded, and its sums are added up over the processes: every process gets the figures of the
whole validation split, so the schedule and early stopping decide alike everywhere.

Rank 0 alone writes the checkpoint and tells the launcher what happens (events, the showcase, the
weights at the end); any rank that fails tells it why. A stop (from the launcher, or the launcher gone)
is agreed by all_reduce every `check_every` steps, so every process stops at the same step.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import signal
import time
from collections.abc import Iterator
from multiprocessing.connection import Client, Connection
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Subset

from builder.core.i18n import tr
from builder.core.project import project_from_dict
from builder.train.batches import TensorBatches, data_loader
from builder.train.engine import Trainer, _fits_on_device
from builder.train.events import EpochEnd, Failed, Finished, Started, Step
from builder.train.metrics import Evaluation
from builder.train.setup import prepare

SEND_SECONDS = 0.1  # rank 0 sends its steps in bunches this far apart: one read of the device per bunch


def send(link: Connection, message: tuple) -> None:
    """Pickled by hand: Connection.send would use torch's pickler, which moves tensors into shared memory."""
    link.send_bytes(pickle.dumps(message))


def receive(link: Connection) -> tuple:
    return pickle.loads(link.recv_bytes())  # noqa: S301 - our own processes, over an authenticated socket


def work(spec: dict[str, Any]) -> None:
    """The entry point every process runs (torch's elastic agent sets RANK, WORLD_SIZE, LOCAL_RANK)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the launcher, which stops every rank at once
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    link = Client(tuple(spec["address"]), authkey=spec["authkey"])
    send(link, ("hello", rank, os.getpid()))
    try:
        trainer = _rank_trainer(spec, rank, world, link)
    except Exception as exc:  # noqa: BLE001 - told to the launcher in one line, then this rank ends
        send(link, ("failed", rank, time.time(), Failed("error", _one_line(exc), "")))
        raise SystemExit(1) from None
    try:
        ended = report(trainer, link, rank)
    except (OSError, EOFError):  # the launcher is gone (killed): nobody to train for
        raise SystemExit(1) from None
    finally:
        dist.destroy_process_group()
    if isinstance(ended, Failed):
        raise SystemExit(1)  # the agent then ends the other ranks, which may be waiting for this one


def _rank_trainer(spec: dict[str, Any], rank: int, world: int, link: Connection) -> RankTrainer:
    local = int(os.environ.get("LOCAL_RANK", rank))
    if spec["device"] == "cuda":
        torch.cuda.set_device(local)
        device, backend = f"cuda:{local}", "nccl"
    else:
        device, backend = "cpu", "gloo"
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", world))))
    project = project_from_dict(spec["project"], spec["path"] or "<project>")
    project.path = None if spec["path"] is None else Path(spec["path"])  # its data paths are relative to it
    dist.init_process_group(backend)
    run = prepare(project, epochs=spec["epochs"], device=device)
    trainer = RankTrainer(run, rank, world, link, checkpoint=spec["checkpoint"], resume=spec["resume"],
                          multiprocessing_context=spec["context"], check_every=spec["check_every"])
    if rank == 0:  # one TensorBoard log, where training.tensorboard asks for one
        from builder.train import tensorboard

        tensorboard.attach(trainer)
    return trainer


def _one_line(exc: BaseException) -> str:
    problems = getattr(exc, "problems", None)  # a SetupError: its first problem says it
    text = problems[0] if problems else (str(exc).strip().splitlines() or [""])[0]
    return text if problems else f"{type(exc).__name__}: {text}"


class RankTrainer(Trainer):
    """The engine's supervised run as one of `world` processes (see the module's docstring)."""

    def __init__(self, run: Any, rank: int, world: int, link: Connection | None, **options: Any) -> None:
        super().__init__(run, **options)
        self.rank, self.world, self.link = rank, world, link
        self._asked = 0  # stop checks so far: every process counts the same

    def _loaders(self, generator: torch.Generator) -> tuple[Any, Any]:
        return shard_loaders(self.run, generator, self.rank, self.world, self.multiprocessing_context)

    def _replicated(self, model: torch.nn.Module) -> torch.nn.Module:
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    def _stop_now(self) -> bool:
        self._asked += 1
        if self._asked % self.check_every:
            return False
        self._hear_launcher()
        flag = torch.tensor([1.0 if self._stop.is_set() else 0.0], device=self.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        if flag.item():
            self._stop.set()
        return self._stop.is_set()

    def _hear_launcher(self) -> None:
        """A stop from the launcher; its end (the window closed, the command killed) stops the run too."""
        if self.link is None:
            return
        try:
            while self.link.poll():
                if receive(self.link)[0] == "stop":
                    self._stop.set()
        except (EOFError, OSError):
            self._stop.set()

    def _agreed_mean(self, value: float) -> float:
        total = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(total)
        return float(total.item()) / self.world

    def evaluate(self, batches: Any) -> Evaluation:
        return reduce_evaluation(super().evaluate(batches), self.device)

    def _save_checkpoint(self, epoch: int, shuffle: torch.Generator, parts: dict[str, Any]) -> None:
        if self.rank == 0:  # every rank holds the same weights and states: one writes them
            super()._save_checkpoint(epoch, shuffle, parts)


def reduce_evaluation(local: Evaluation, device: torch.device) -> Evaluation:
    """One process's figures on its share of the validation split, summed with the others' into the whole's."""
    confusion = [c for row in (local.confusion or ()) for c in row]
    sums = torch.tensor([local.loss * local.samples, local.samples, *confusion], dtype=torch.float64,
                        device=device)
    dist.all_reduce(sums)
    values = sums.cpu().tolist()
    samples = round(values[1])
    loss = values[0] / max(samples, 1)
    if local.confusion is None:
        return Evaluation(loss, samples)
    k = len(local.confusion)
    matrix = [[round(v) for v in values[2 + i * k:2 + (i + 1) * k]] for i in range(k)]
    totals = [sum(row) for row in matrix]
    per_class = tuple(None if t == 0 else matrix[i][i] / t for i, t in enumerate(totals))
    accuracy = sum(matrix[i][i] for i in range(k)) / max(sum(totals), 1)
    return Evaluation(loss, samples, accuracy, per_class, tuple(tuple(r) for r in matrix))


class Share(torch.utils.data.Sampler):
    """This rank's samples of an epoch: the order every rank draws alike, padded by wrapping round to a
    multiple of `world`, then every world-th from `rank` (DistributedSampler's way, on our own generator,
    which the checkpoint keeps, so a resumed run goes on with the same orders)."""

    def __init__(self, count: int, rank: int, world: int, shuffle: bool, generator: torch.Generator) -> None:
        self.count, self.rank, self.world, self.shuffle, self.generator = count, rank, world, shuffle, generator

    def __len__(self) -> int:
        return math.ceil(self.count / self.world)

    def __iter__(self) -> Iterator[int]:
        order = torch.randperm(self.count, generator=self.generator) if self.shuffle else torch.arange(self.count)
        total = len(self) * self.world
        padded = order.repeat(math.ceil(total / self.count))[:total]
        return iter(padded[self.rank::self.world].tolist())


class SharedTensorBatches:
    """Batches of this rank's share, cut from in-memory tensors (one gather per batch)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor | None, batch_size: int, share: Share) -> None:
        self.x, self.y, self.batch_size, self.share = x, y, batch_size, share

    def __len__(self) -> int:
        return math.ceil(len(self.share) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.tensor(list(self.share), dtype=torch.int64, device=self.x.device)
        for start in range(0, len(order), self.batch_size):
            index = order[start:start + self.batch_size]
            x = self.x[index]
            yield x, (x if self.y is None else self.y[index])


def shard_loaders(run: Any, generator: torch.Generator, rank: int, world: int,
                  multiprocessing_context: str | None = None) -> tuple[Any, Any]:
    """This rank's training batches (its share, equal in count to every other rank's) and validation batches
    (every world-th validation sample, unpadded: the sums are added up after)."""
    cfg = run.settings.data
    share = Share(len(run.split.train), rank, world, cfg.shuffle, generator)
    val = run.split.val[rank::world]
    tensors = run.data.tensors
    if tensors is not None and cfg.num_workers == 0:
        x, y = tensors
        train_x, train_y = x[run.split.train], (None if y is None else y[run.split.train])
        if _fits_on_device(run.device, train_x, train_y):  # on its GPU, as one process keeps it: no copy per batch
            train_x, train_y = train_x.to(run.device), (None if train_y is None else train_y.to(run.device))
        return (SharedTensorBatches(train_x, train_y, cfg.batch_size, share),
                TensorBatches(x[val], None if y is None else y[val], cfg.batch_size, False, None))
    pin = run.device.type == "cuda"
    context = multiprocessing_context if cfg.num_workers > 0 else None
    train = DataLoader(Subset(run.data.dataset, run.split.train.tolist()), batch_size=cfg.batch_size, sampler=share,
                       num_workers=cfg.num_workers, pin_memory=pin, multiprocessing_context=context,
                       generator=torch.Generator().manual_seed(run.settings.training.seed + rank))
    return train, data_loader(run.data.dataset, val, cfg.batch_size, False, cfg.num_workers,
                              torch.Generator().manual_seed(0), pin, multiprocessing_context)


def report(trainer: RankTrainer, link: Connection, rank: int) -> Any:
    """Run the trainer; rank 0 sends what the launcher needs to give its consumer the same events. Returns
    the last event (Finished or Failed)."""
    pending: list[Step] = []
    last = time.monotonic()
    event: Any = None
    for event in trainer:
        if rank != 0:
            if isinstance(event, Failed):
                send(link, ("failed", rank, time.time(), event))
            continue
        if isinstance(event, Step):
            pending.append(event)
            if time.monotonic() - last >= SEND_SECONDS:
                _send_steps(link, pending, trainer.world)
                pending, last = [], time.monotonic()
            continue
        if pending:
            _send_steps(link, pending, trainer.world)
            pending, last = [], time.monotonic()
        _send_event(trainer, link, event)
    return event


def _send_event(trainer: RankTrainer, link: Connection, event: Any) -> None:
    if isinstance(event, Started):
        send(link, ("started", _per_process(event, trainer), [r.to_dict() for r in trainer.history]))
    elif isinstance(event, EpochEnd):  # the showcase first: the launcher has it when its consumer asks
        send(link, ("showcase", trainer.showcase(event.record.epoch)))
        send(link, ("event", event))
    elif isinstance(event, (Finished, Failed)):
        trained = trainer.trained()
        if trained is not None:
            buffer = io.BytesIO()
            torch.save(trained.state, buffer)
            send(link, ("weights", buffer.getvalue()))
        send(link, ("failed", 0, time.time(), event) if isinstance(event, Failed) else ("event", event))
    else:
        send(link, ("event", event))


def _per_process(event: Started, trainer: RankTrainer) -> Started:
    """Started as the whole run sees it: the devices of every process, and what the batch size means."""
    from dataclasses import replace

    world, batch = trainer.world, trainer.run.settings.data.batch_size
    device = event.device if trainer.device.type != "cuda" else tr(
        "{count} GPUs ({name})", count=world, name=torch.cuda.get_device_name(trainer.device))
    samples = tr("{samples}; {count} processes × batch {batch}", samples=event.samples_text, count=world,
                 batch=batch)
    return replace(event, device=device, samples_text=samples)


def _send_steps(link: Connection, steps: list[Step], world: int) -> None:
    """The steps with their values read from the device in one go, and the samples every process learnt from
    in them (the shares are equal, the last batches too): the window's samples/s is the run's."""
    names = list(steps[0].values)
    table = torch.stack([torch.stack([s.values[n] for n in names]) for s in steps]).float().cpu().tolist()
    send(link, ("steps", [(s.epoch, s.step, s.steps, s.samples * world, dict(zip(names, row)), s.lr)
                          for s, row in zip(steps, table)]))
