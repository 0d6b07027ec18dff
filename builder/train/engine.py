"""The training engine: a plain iterator of events with a cooperative stop.

    trainer = Trainer(prepare(project))
    for event in trainer:          # Started, Step..., EpochEnd, ..., Finished | Failed
        ...                        # trainer.stop() from any thread ends it within one batch

`BaseTrainer` holds what supervised and GAN runs share (stop, fault guard, checkpoints, resume); the
GAN's loop is in gan.py. The loop is the standard one (zero_grad, loss, backward, step). On CUDA it
never waits for the GPU per step: losses are summed on the device and read once per epoch; a
non-finite loss is looked for every few steps. Faults end the run with a Failed event, never an
exception.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from builder.core.atomic import WriteError, remove_leftovers
from builder.core.i18n import N_, tr
from builder.train.batches import TensorBatches, data_loader
from builder.train.checkpoint import (
    FORMAT,
    VERSION,
    CheckpointError,
    atomic_torch_save,
    load_checkpoint,
    load_into,
)
from builder.train.data.base import DataError
from builder.train.devices import autocast_dtype, describe
from builder.train.events import (
    EPOCH_LOSS,
    LEARNING_RATE,
    SCORE,
    STEP_LOSS,
    EpochEnd,
    EpochRecord,
    Event,
    Failed,
    Finished,
    Health,
    Series,
    Started,
    Step,
)
from builder.train.health import HealthProbe, HealthWarnings
from builder.train.metrics import Evaluation, MetricAccumulator
from builder.train.objective import Objective
from builder.train.optimizers import OPTIMIZERS
from builder.train.schedules import SCHEDULES
from builder.train.setup import Run
from builder.train.showcase import Predictions, predictions
from builder.train.speed import as_format, compiled, run_format, threads
from builder.train.trained import TrainedModel

# Data on the GPU: keep it resident when it fits in this share of the card's memory.
RESIDENT_SHARE = 0.25


class NonFiniteLoss(Exception):
    def __init__(self, step: int, value: float):
        self.step, self.value = step, value


class BaseTrainer:
    """What every run shares: a cooperative stop, the fault guard, the history, and a checkpoint after each
    epoch that a resumed run continues from exactly (weights, optimizers, every random state)."""

    def __init__(self, run: Any, checkpoint: str | Path | None = None, resume: bool = False,
                 multiprocessing_context: str | None = None, check_every: int | None = None) -> None:
        self.run = run
        self.checkpoint_path = Path(checkpoint) if checkpoint else None
        self.resume = resume
        self.multiprocessing_context = multiprocessing_context
        self.device = run.device
        # How often a non-finite loss is looked for: every step on the CPU (free), else every few.
        self.check_every = check_every or (1 if self.device.type == "cpu" else 32)
        self.history: list[EpochRecord] = []
        self._stop = threading.Event()
        # Each sees every event before the consumer does, on the training thread (so at EpochEnd the model holds
        # the epoch's weights and last gradients): `see(trainer, event)`, then `close()` however the run ends.
        self.observers: list[Any] = []

    def stop(self) -> None:
        """Ask the run to end; it does so before the next batch (safe from any thread)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def __iter__(self) -> Iterator[Event]:
        settings = self.run.settings
        if self.checkpoint_path is not None:  # what a run killed while writing its checkpoint left behind
            remove_leftovers(self.checkpoint_path)
        return guard(observed(with_threads(self._train(), settings.training.threads), self), settings.training.lr,
                     settings.data.batch_size, self._restore_last_good, self._free_gpu, self.run)

    def _train(self) -> Iterator[Event]:
        raise NotImplementedError

    def _restore_last_good(self) -> None:
        """After a fault: the weights of the last good epoch back in the model(s)."""

    def _free_gpu(self) -> None:
        torch.cuda.empty_cache()

    def source_digest(self) -> str:
        return hashlib.sha256(self.run.code.source.encode()).hexdigest()

    def _save_checkpoint(self, epoch: int, shuffle: torch.Generator, parts: dict[str, Any]) -> None:
        state = {"format": FORMAT, "version": VERSION, "epoch": epoch,
                 "history": [r.to_dict() for r in self.history],
                 "rng": {"torch": torch.get_rng_state(), "shuffle": shuffle.get_state(),
                         "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []},
                 "source_sha256": self.source_digest(), **parts}
        atomic_torch_save(state, self.checkpoint_path)

    def _load_checkpoint(self) -> dict[str, Any]:
        """The checkpoint, checked whole and against this run's code before anything is restored from it."""
        state = load_checkpoint(self.checkpoint_path)
        if state.get("source_sha256") != self.source_digest():
            raise CheckpointError(tr("{path}: made for a different model (the graph or the data normalization "
                                     "changed since); train without --resume to start over",
                                     path=self.checkpoint_path))
        return state

    def _restore_states(self, state: dict[str, Any], models: dict[str, nn.Module],
                        optimizers: dict[str, Any], shuffle: torch.Generator) -> int:
        """Weights and optimizer states from the checkpoint, then the random states and the history, in that
        order: a part that does not fit is refused before the run's own record (the history) changes."""
        where = str(self.checkpoint_path)
        for key, model in models.items():
            load_into(model, state[key], where)
        for key, optimizer in optimizers.items():
            if optimizer is None or state.get(key) is None:
                continue
            try:
                optimizer.load_state_dict(state[key])
            except (ValueError, KeyError, RuntimeError, TypeError):
                raise CheckpointError(tr("{path}: the checkpoint is damaged: its {part} state does not fit this "
                                         "model; train without --resume to start over", path=where,
                                         part=key)) from None
        history = [EpochRecord.from_dict(r) for r in state["history"]]
        torch.set_rng_state(state["rng"]["torch"])
        shuffle.set_state(state["rng"]["shuffle"])
        if torch.cuda.is_available() and state["rng"]["cuda"]:
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        self.history = history
        return int(state["epoch"])


class Trainer(BaseTrainer):
    """A supervised run: one model learns from targets."""

    def __init__(self, run: Run, checkpoint: str | Path | None = None, resume: bool = False,
                 multiprocessing_context: str | None = None, check_every: int | None = None,
                 health_every: int | None = None) -> None:
        super().__init__(run, checkpoint, resume, multiprocessing_context, check_every)
        self.model: nn.Module | None = None
        self.health_every = health_every  # steps between layer-health samples; None: none taken
        self.health = HealthWarnings()
        self._best: dict[str, Any] | None = None  # {"epoch", "loss", "state"}
        self._last_good: dict[str, torch.Tensor] | None = None
        self._bad_epochs = 0
        self._format = torch.contiguous_format  # the memory order of the model and its batches (speed.py)

    def series(self) -> tuple[Series, ...]:
        classification = self.run.objective.num_classes is not None
        return (Series("loss", N_("training loss"), "step", STEP_LOSS),
                Series("train_loss", N_("training loss"), "epoch", EPOCH_LOSS),
                Series("val_loss", N_("validation loss"), "epoch", EPOCH_LOSS),
                *([Series("val_accuracy", N_("validation accuracy"), "epoch", SCORE)] if classification else []),
                Series("lr", N_("learning rate"), "epoch", LEARNING_RATE))

    def showcase(self, epoch: int, on_demand: bool = False) -> Predictions:
        """What the model makes of a few fixed validation samples, for people to look at."""
        return predictions(self.run, self.model, epoch)

    def trained(self) -> TrainedModel | None:
        """The weights this run leaves (the best epoch's with keep_best), once an epoch is done."""
        if self.model is None or not self.history:
            return None
        return TrainedModel(self.run.model_name, self.run.code, _cpu_state(self.model), list(self.history),
                            classes=self.run.data.classes, single_output=self.run.objective.single_output)

    # -- the run -------------------------------------------------------------------------------

    def _train(self) -> Iterator[Event]:
        run, settings = self.run, self.run.settings
        training = settings.training
        device = self.device
        model = run.new_model().to(device)
        self._format = run_format(run, model)  # channels_last for image models, when the settings ask for it
        model.to(memory_format=self._format)
        self.model = model
        optimizer = OPTIMIZERS[training.optimizer].make(model.parameters(), training.lr, training.options)
        schedule_spec = SCHEDULES[training.schedule[0]] if training.schedule else None
        scheduler = schedule_spec.make(optimizer, training.schedule[1], training.epochs) if schedule_spec else None
        amp = training.mixed_precision and device.type == "cuda"
        amp_dtype = autocast_dtype(device) if amp else None
        scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16) if amp else None
        generator = torch.Generator().manual_seed(training.seed)
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True

        start_epoch = 0
        if self.resume:
            start_epoch = self._restore(model, optimizer, scheduler, scaler, generator)
        train_batches, val_batches = self._loaders(generator)
        steps = len(train_batches)
        precision = tr("{dtype} mixed", dtype=str(amp_dtype).removeprefix("torch.")) if amp else "float32"
        yield Started(run.model_name, describe(device), start_epoch, training.epochs, steps,
                      len(run.split.train), len(run.split.val), tuple(run.warnings),
                      precision, tuple(run.data.classes) if run.data.classes else None, self.series(),
                      tr("{train:,} training and {val:,} validation samples", train=len(run.split.train),
                         val=len(run.split.val)))
        if start_epoch >= training.epochs:
            yield self._finished("completed", tr("already trained {count} epochs; ask for more epochs to go on",
                                                 count=start_epoch))
            return

        probe = HealthProbe(model, run.code, run.report, self.health_every) if self.health_every else None
        # What the steps call: the model, or its DDP wrapper; compiled with training.compile.
        step_model = compiled(self._replicated(model), training.compile)
        global_step = start_epoch * steps
        for epoch in range(start_epoch + 1, training.epochs + 1):
            started = time.perf_counter()
            model.train()
            totals = MetricAccumulator(device, None)
            pending: list[torch.Tensor] = []
            lr = optimizer.param_groups[0]["lr"]
            autocast = torch.autocast("cuda", dtype=amp_dtype) if amp else nullcontext()
            for index, (x, y) in enumerate(train_batches, start=1):
                if self._stop_now():
                    yield self._finished("stopped", tr("stopped by request during epoch {epoch}", epoch=epoch))
                    return
                x = as_format(x.to(device, non_blocking=True), self._format)
                y = y.to(device, non_blocking=True)  # as it is, also an image to rebuild: so does train.py
                global_step += 1
                sampled = probe is not None and probe.due(global_step)
                if sampled:
                    probe.before_forward()
                with autocast:
                    output = step_model(x)
                loss = run.objective(output, y)
                optimizer.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    if sampled:
                        scaler.unscale_(optimizer)  # the gradients as they are, not as scaled for float16
                        probe.before_step()
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    if sampled:
                        probe.before_step()
                    optimizer.step()
                if sampled:
                    probe.after_step()
                    sample = probe.sample(epoch, global_step)
                    self.health.add(sample)
                    yield Health(sample, tuple(self.health.problems()))
                loss = loss.detach()
                totals.add(loss, len(x))
                pending.append(loss)
                if len(pending) >= self.check_every:
                    check_finite(pending, index)
                yield Step(epoch, index, steps, len(x), {"loss": loss}, lr)
            check_finite(pending, steps)
            if self._stop_now():
                yield self._finished("stopped", tr("stopped by request at the end of epoch {epoch}", epoch=epoch))
                return

            train_loss = self._agreed_mean(totals.result().loss)
            evaluation = self.evaluate(val_batches) if len(run.split.val) else None
            monitored = evaluation.loss if evaluation else train_loss
            if scheduler is not None:
                scheduler.step(monitored) if schedule_spec.needs_metric else scheduler.step()
            values = {"train_loss": train_loss, "val_loss": evaluation.loss if evaluation else None}
            if run.objective.num_classes is not None:
                values["val_accuracy"] = evaluation.accuracy if evaluation else None
            record = EpochRecord(epoch, values, lr, time.perf_counter() - started,
                                 evaluation.per_class_accuracy if evaluation else None,
                                 evaluation.confusion if evaluation else None)
            self.history.append(record)
            improved = self._track_best(epoch, monitored, model)
            self._last_good = _cpu_state(model)
            if self.checkpoint_path is not None:
                self._save_checkpoint(epoch, generator, {
                    "model": self._last_good, "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict() if scheduler is not None else None,
                    "scaler": scaler.state_dict() if scaler is not None else None,
                    "best": self._best, "bad_epochs": self._bad_epochs})
            yield EpochEnd(record, improved)
            if training.early_stopping and self._bad_epochs >= training.early_stopping:
                yield self._finished("early_stopping", tr("the validation loss has not improved for {count} epochs; "
                                                          "stopped early after epoch {epoch}",
                                                          count=self._bad_epochs, epoch=epoch))
                return
        yield self._finished("completed", tr("trained {count} epochs", count=training.epochs))

    def evaluate(self, batches: Any) -> Evaluation:
        return evaluate(self.model, batches, self.run.objective, self.device, self._stop, self._format)

    # What a data-parallel run (distributed.py) changes, one process of several; a lone process keeps these.
    def _loaders(self, generator: torch.Generator) -> tuple[Any, Any]:
        return make_loaders(self.run, generator, self.multiprocessing_context)

    def _replicated(self, model: nn.Module) -> nn.Module:
        return model

    def _stop_now(self) -> bool:
        """Whether the run ends before this batch: with several processes, the same answer in each."""
        return self._stop.is_set()

    def _agreed_mean(self, value: float) -> float:
        """A per-process figure (the epoch's training loss) as the mean over the processes."""
        return value

    def _track_best(self, epoch: int, loss: float, model: nn.Module) -> bool:
        if self._best is None or loss < self._best["loss"]:
            self._best = {"epoch": epoch, "loss": loss,
                          "state": _cpu_state(model) if self.run.settings.training.keep_best else None}
            self._bad_epochs = 0
            return True
        self._bad_epochs += 1
        return False

    def _finished(self, reason: str, message: str) -> Finished:
        best_epoch = self._best["epoch"] if self._best else None
        if self.run.settings.training.keep_best and self._best and self._best["state"] is not None:
            self.model.load_state_dict(self._best["state"])
            if best_epoch != len(self.history):
                message = tr("{result}; keeping the weights of epoch {epoch}, the best on validation",
                             result=message, epoch=best_epoch)
        return Finished(reason, message, len(self.history), best_epoch, tuple(self.history))

    def _restore_last_good(self) -> None:
        if self.model is not None and self._last_good is not None:
            self.model.load_state_dict(self._last_good)

    def _free_gpu(self) -> None:
        if self.model is not None:
            for parameter in self.model.parameters():
                parameter.grad = None
        if self._last_good is not None:
            self._restore_last_good()
        torch.cuda.empty_cache()

    def _restore(self, model: nn.Module, optimizer: Any, scheduler: Any, scaler: Any,
                 generator: torch.Generator) -> int:
        state = self._load_checkpoint()
        epoch = self._restore_states(state, {"model": model},
                                     {"optimizer": optimizer, "scheduler": scheduler, "scaler": scaler}, generator)
        self._best = state.get("best")
        self._bad_epochs = state.get("bad_epochs", 0)
        self._last_good = _cpu_state(model)
        return epoch


def guard(events: Iterator[Event], lr: float, batch_size: int, restore: Any, free_gpu: Any,
          run: Any = None) -> Iterator[Event]:
    """Relay a training loop's events; whatever goes wrong ends it with one Failed event, never an
    exception: a non-finite loss (with the step and a hint), the GPU out of memory, bad data, a bug."""
    epoch = step = None
    try:
        for event in events:
            if isinstance(event, Step):  # where a fault happens
                epoch, step = event.epoch, event.step
            yield event
    except NonFiniteLoss as exc:
        restore()
        yield Failed("nan", tr("the loss became {value} at epoch {epoch}, step {step}", value=exc.value, epoch=epoch,
                               step=exc.step),
                     tr("The learning rate ({lr:g}) may be too high: try {lower:g}; normalizing the inputs "
                        "(data.normalize) also helps", lr=lr, lower=lr / 10), epoch, exc.step)
    except torch.cuda.OutOfMemoryError:
        free_gpu()
        yield Failed("out_of_memory", tr("the GPU ran out of memory at epoch {epoch} with batch_size {batch_size}",
                                         epoch=epoch, batch_size=batch_size),
                     tr("Try batch_size {batch_size}, or mixed_precision", batch_size=max(batch_size // 2, 1)),
                     epoch, step, traceback.format_exc())
    except DataError as exc:
        yield Failed("data", _data_error_message(exc) or tr("unreadable data"),
                     tr("Fix or remove the file, then train again"), epoch, step)
    except CheckpointError as exc:
        yield Failed("error", str(exc), "", epoch, step)
    except WriteError as exc:  # a checkpoint on a full disk, say: the trained weights are still in memory
        yield Failed("write", str(exc), tr("Free some disk space, or write to another folder"), epoch, step)
    except Exception as exc:  # noqa: BLE001 - a run must end with an event, whatever went wrong
        message = _data_error_message(exc) or f"{type(exc).__name__}: {_first_line(exc)}"
        kind = "data" if _data_error_message(exc) else "error"
        yield Failed(kind, tr("training stopped at epoch {epoch}, step {step}: {error}", epoch=epoch, step=step,
                              error=message) if epoch else message,
                     _hint_for(exc, run), epoch, step, traceback.format_exc())


def observed(events: Iterator[Event], trainer: BaseTrainer) -> Iterator[Event]:
    """The run's events, each shown to the trainer's observers first. Inside the guard: an observer's fault
    (a log folder that cannot be written) ends the run with a Failed event like any other."""
    try:
        for event in events:
            for observer in trainer.observers:
                observer.see(trainer, event)
            yield event
    finally:  # finished, failed, or abandoned by its consumer: the observers flush and close
        for observer in trainer.observers:
            observer.close()


def with_threads(events: Iterator[Event], count: int | None) -> Iterator[Event]:
    """The run's events with torch computing on `count` threads (training.threads), put back when it ends."""
    with threads(count):
        yield from events


def check_finite(pending: list[torch.Tensor], last_step: int) -> None:
    """Raise NonFiniteLoss naming the first bad step among the losses gathered since the last check
    (one read of the device for all of them)."""
    if not pending:
        return
    if len(pending) == 1 and pending[0].device.type == "cpu":  # the CPU's every-step check: one read, no stack
        value = float(pending.pop())
        if not math.isfinite(value):
            raise NonFiniteLoss(last_step, value)
        return
    losses = torch.stack(pending)
    first = last_step - len(pending) + 1
    pending.clear()
    finite = torch.isfinite(losses)
    if not bool(finite.all()):
        bad = int((~finite).nonzero()[0, 0])
        raise NonFiniteLoss(first + bad, float(losses[bad]))


def evaluate(model: nn.Module, batches: Any, objective: Objective, device: torch.device,
             stop: threading.Event | None = None,
             memory_format: torch.memory_format = torch.contiguous_format) -> Evaluation:
    """Loss and, for classification, accuracy and the confusion matrix on the given batches."""
    metrics = MetricAccumulator(device, objective.num_classes)
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for x, y in batches:
            if stop is not None and stop.is_set():
                break
            x = as_format(x.to(device, non_blocking=True), memory_format)
            y = y.to(device, non_blocking=True)
            output = model(x)
            loss = objective(output, y)
            if objective.num_classes:
                metrics.add(loss, len(x), objective.predict(output), y)
            else:
                metrics.add(loss, len(x))
    model.train(was_training)
    return metrics.result()


def make_loaders(run: Run, generator: torch.Generator, multiprocessing_context: str | None = None) -> tuple[Any, Any]:
    """Training and validation batches: cut from tensors when the data is in memory and no workers
    are asked for (on the GPU itself when it fits), else real DataLoaders."""
    cfg = run.settings.data
    tensors = run.data.tensors
    if tensors is not None and cfg.num_workers == 0:
        x, y = tensors
        parts = []
        for indices in (run.split.train, run.split.val):
            px, py = x[indices], (None if y is None else y[indices])
            if _fits_on_device(run.device, px, py):
                px = px.to(run.device)
                py = None if py is None else py.to(run.device)
            parts.append((px, py))
        return (TensorBatches(*parts[0], cfg.batch_size, cfg.shuffle, generator),
                TensorBatches(*parts[1], cfg.batch_size, False, None))
    pin = run.device.type == "cuda"
    train = data_loader(run.data.dataset, run.split.train, cfg.batch_size, cfg.shuffle, cfg.num_workers,
                        generator, pin, multiprocessing_context)
    # Its own generator, so validation never draws from the global RNG that dropout uses.
    val = data_loader(run.data.dataset, run.split.val, cfg.batch_size, False, cfg.num_workers,
                      torch.Generator().manual_seed(0), pin, multiprocessing_context)
    return train, val


def _fits_on_device(device: torch.device, x: torch.Tensor, y: torch.Tensor | None) -> bool:
    if device.type != "cuda":
        return False
    size = x.nbytes + (y.nbytes if y is not None else 0)
    free, _total = torch.cuda.mem_get_info(device)
    return size < free * RESIDENT_SHARE


def _cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    # Contiguous: a channels_last model's weights are saved in the usual order (safetensors takes no other).
    return {k: v.detach().to("cpu", copy=True, memory_format=torch.contiguous_format)
            for k, v in model.state_dict().items()}


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


def _data_error_message(exc: BaseException) -> str | None:
    """The one-line message of a DataError, also one a DataLoader worker raised: those come back
    re-raised with the worker's traceback in their text, the original message on its last line."""
    text = str(exc)
    marker = "DataError: "
    if marker in text:
        return text.rsplit(marker, 1)[-1].strip().splitlines()[0]
    return text.strip().splitlines()[0] if isinstance(exc, DataError) and text.strip() else None


def _hint_for(exc: BaseException, run: Any) -> str:
    text = str(exc)
    if "between 0 and 1" in text:
        return tr("BCELoss takes probabilities: add a Sigmoid before the Output, or use BCEWithLogitsLoss")
    if type(exc).__module__.startswith(("torch._dynamo", "torch._inductor")):  # training.compile's own failure
        return tr("torch.compile failed: train without it (training.compile: false)")
    return tr("See the details for where it happened")

