"""Training on several processes at once: all the GPUs of a machine (NCCL), or processes on the CPU (gloo).

    trainer = DistributedTrainer(run, processes=4, checkpoint=out / "checkpoint.pt")
    for event in trainer:  # Started, Step..., EpochEnd..., Finished | Failed: the events Trainer gives
        ...                # trainer.stop() from any thread: every process stops at the same step

This process trains nothing. torch's elastic launcher (torchrun's: a standalone rendezvous on localhost,
on a free port) starts the processes from a thread of this one; each runs ranks.work, which connects back
to a socket this process listens on (localhost, with a key made for the run). What rank 0 sends comes
out here as the same events, so the command line and the window's worker consume one iterator as they
do for one process, and their plots and files work unchanged: the weights, metrics.csv and the run's
record are written here, once, from rank 0's; the checkpoint by rank 0 itself.

The end waits for every process to be gone: Finished from rank 0, or the first failure any rank told
of (one line, its rank named); a rank that died without a word is named with its exit code. Abandoned
early (Ctrl-C twice, the window closed), the run is asked to stop, then its processes are killed.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import queue
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from multiprocessing.connection import Connection, Listener, wait
from typing import Any

import torch

from builder.core.i18n import tr
from builder.core.project import project_to_dict
from builder.train.events import EpochEnd, EpochRecord, Event, Failed, Finished, Step
from builder.train.ranks import receive, send, work
from builder.train.trained import TrainedModel

ALL_GPUS = "cuda:all"  # training.device for every GPU of the machine, one process each
GRACE_SECONDS = 10.0  # how long a run asked to stop by a consumer that left gets before its processes are killed


def processes_for(device: str | None) -> int:
    """How many processes a device setting asks for: one per GPU for "cuda:all", else one."""
    return max(torch.cuda.device_count(), 1) if device == ALL_GPUS else 1


def refusal(run: Any, processes: int) -> str | None:
    """Why this run cannot be trained by `processes` processes, in one line; None when it can."""
    from builder.train.gan import GanRun

    if isinstance(run, GanRun):
        return tr("{count} processes: a GAN trains in one process only", count=processes)
    if run.device.type == "cuda" and processes > torch.cuda.device_count():
        return tr("{count} processes: this machine has {gpus} CUDA GPU(s), and each process takes one",
                  count=processes, gpus=torch.cuda.device_count())
    return None


class DistributedTrainer:
    """A supervised run on `processes` processes, seen from the process that launched them."""

    def __init__(self, run: Any, processes: int, checkpoint: str | os.PathLike | None = None, resume: bool = False,
                 multiprocessing_context: str | None = None, check_every: int | None = None) -> None:
        self.run, self.processes = run, processes
        self.device = run.device
        self.spec = {"project": project_to_dict(run.project),
                     "path": str(run.project.path) if run.project.path is not None else None,
                     "epochs": run.settings.training.epochs, "device": run.device.type,
                     "checkpoint": str(checkpoint) if checkpoint is not None else None, "resume": resume,
                     "context": multiprocessing_context,
                     "check_every": check_every or (1 if run.device.type == "cpu" else 32)}
        self.history: list[EpochRecord] = []
        self.observers: list[Any] = []  # rank 0's trainer has them (its TensorBoard log), not this one
        self._stop = threading.Event()
        self._showcase: Any = None
        self._state: dict[str, torch.Tensor] | None = None
        self._links: dict[Connection, tuple[int, int]] = {}  # each process's link: its rank and pid
        self._sending = threading.RLock()  # stop() comes from any thread: a send, or a change of _links, at a time

    @property
    def model(self) -> Any:
        """The model lives in the processes (a question about it, the window's Inside page, gets this answer)."""
        raise AttributeError(tr("the model is training in {count} processes; its outputs can be seen once the run "
                                "ends", count=self.processes))

    def stop(self) -> None:
        """Ask every process to end; they agree on a step and stop there (safe from any thread)."""
        self._stop.set()
        self._tell_all("stop")

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def pids(self) -> dict[int, int]:
        """The process id of each rank that has connected, by rank."""
        with self._sending:
            return {rank: pid for rank, pid in self._links.values()}

    def showcase(self, epoch: int, on_demand: bool = False) -> Any:
        """The predictions rank 0 made after its latest epoch (the processes hold the model, not this one); none
        to show before the first."""
        from builder.train.showcase import Predictions

        return self._showcase or Predictions(epoch, [], [], [], self.run.data.classes)

    def trained(self) -> TrainedModel | None:
        """The weights rank 0 sent at the end (the best epoch's with keep_best)."""
        if self._state is None or not self.history:
            return None
        run = self.run
        return TrainedModel(run.model_name, run.code, self._state, list(self.history), classes=run.data.classes,
                            single_output=run.objective.single_output)

    def __iter__(self) -> Iterator[Event]:
        authkey = os.urandom(32)
        listener = Listener(("127.0.0.1", 0), authkey=authkey)
        spec = {**self.spec, "address": listener.address, "authkey": authkey}
        outcome: dict[str, BaseException] = {}
        launch = threading.Thread(target=_launch, args=(self.processes, spec, outcome), daemon=True,
                                  name="distributed-launch")
        arrivals: queue.SimpleQueue = queue.SimpleQueue()
        accept = threading.Thread(target=_accept, args=(listener, self.processes, arrivals), daemon=True,
                                  name="distributed-accept")
        launch.start()
        accept.start()
        yield from self._events(launch, accept, (listener, authkey), arrivals, outcome)

    def _events(self, launch: threading.Thread, accept: threading.Thread, listener: tuple[Listener, bytes],
                arrivals: queue.SimpleQueue, outcome: dict[str, BaseException]) -> Iterator[Event]:
        failures: list[tuple[float, int, Failed]] = []
        ended: Finished | None = None
        try:
            while launch.is_alive() or self._links or not arrivals.empty():
                self._welcome(arrivals)
                for link in wait(list(self._links), timeout=0.1):
                    try:
                        message = receive(link)
                    except (EOFError, OSError):  # that process is gone
                        self._forget(link)
                        continue
                    if message[0] == "failed":
                        _kind, rank, when, failed = message
                        failures.append((when, rank, failed))
                    elif message[0] == "event" and isinstance(message[1], Finished):
                        ended = message[1]  # handed on once every process has ended
                    else:
                        yield from self._handle(message)
            yield self._end(ended, failures, outcome.get("error"))
        finally:
            self._close(launch, accept, listener, arrivals)

    def _welcome(self, arrivals: queue.SimpleQueue) -> None:
        while not arrivals.empty():
            rank, pid, link = arrivals.get()
            with self._sending:
                self._links[link] = (rank, pid)
            if self._stop.is_set():  # a stop asked for before this process was there
                self._tell(link, "stop")

    def _forget(self, link: Connection) -> None:
        with self._sending:
            self._links.pop(link, None)

    def _handle(self, message: tuple) -> Iterator[Event]:
        kind = message[0]
        if kind == "started":
            self.history = [EpochRecord.from_dict(r) for r in message[2]]
            yield message[1]
        elif kind == "steps":
            for epoch, step, steps, samples, values, lr in message[1]:
                yield Step(epoch, step, steps, samples, {k: torch.tensor(v) for k, v in values.items()}, lr)
        elif kind == "showcase":
            self._showcase = message[1]
        elif kind == "weights":
            self._state = torch.load(io.BytesIO(message[1]), weights_only=True)
        elif kind == "event":
            if isinstance(message[1], EpochEnd):
                self.history.append(message[1].record)
            yield message[1]

    def _end(self, ended: Finished | None, failures: list[tuple[float, int, Failed]],
             error: BaseException | None) -> Event:
        """How the run ended: rank 0's Finished; else a rank killed without a word (out of memory, say: the others
        failed for want of it); else the earliest failure told (the others follow from it)."""
        if ended is not None:
            return ended
        silent = _killed(error, {rank for _when, rank, _failed in failures}, self.processes)
        if silent:
            return Failed("error", silent, "")
        if failures:
            _when, rank, failed = min(failures, key=lambda f: f[0])
            return Failed(failed.kind, tr("process {rank} of {count}: {error}", rank=rank, count=self.processes,
                                          error=failed.message), failed.hint, failed.epoch, failed.step,
                          failed.details)
        if self._stop.is_set():
            return Finished("stopped", tr("stopped by request before training began"), len(self.history), None,
                            tuple(self.history))
        return Failed("error", _launch_failure(error, self.processes), "")

    def _drain(self, seconds: float) -> None:
        """Read and drop what the processes send, for `seconds`."""
        for link in wait(list(self._links), timeout=seconds):
            try:
                receive(link)
            except (EOFError, OSError):
                self._forget(link)

    def _tell(self, link: Connection, what: str) -> None:
        with self._sending, contextlib.suppress(OSError):  # gone already
            send(link, (what,))

    def _tell_all(self, what: str) -> None:
        with self._sending:
            for link in list(self._links):
                self._tell(link, what)

    def _close(self, launch: threading.Thread, accept: threading.Thread, listener: tuple[Listener, bytes],
               arrivals: queue.SimpleQueue) -> None:
        """Every process gone before the iterator ends: asked to stop, then, after GRACE_SECONDS, killed; killed at
        once when a stop was asked for already (Ctrl-C twice: abort)."""
        if launch.is_alive():
            aborting = self._stop.is_set()
            self._stop.set()
            deadline = time.monotonic() + (0 if aborting else GRACE_SECONDS)
            while launch.is_alive() and time.monotonic() < deadline:
                self._welcome(arrivals)
                self._tell_all("stop")
                self._drain(0.2)  # rank 0 may be waiting to send: it must get through to hear the stop
            for _rank, pid in self._links.values():
                _kill(pid)
            launch.join(GRACE_SECONDS)
        with self._sending:
            for link in self._links:
                link.close()
            self._links.clear()
        if accept.is_alive():  # still waiting for a process that never came: let it through
            _wake(*listener)
        listener[0].close()


def _launch(processes: int, spec: dict[str, Any], outcome: dict[str, BaseException]) -> None:
    """torchrun's launch, standalone: every process on this machine, a rendezvous on a free local port."""
    import tempfile

    from torch.distributed.elastic.multiprocessing.api import DefaultLogsSpecs
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    # The agent runs in a thread, where it cannot take signals (Ctrl-C is ours): it would say so on every run.
    for name in ("torch.distributed.elastic", "torch.multiprocessing"):  # it says what _end says, and worse
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        with tempfile.TemporaryDirectory(prefix="builder-ddp-") as logs:  # the agent's files, gone with the run
            config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=processes,
                                  run_id=f"builder-{uuid.uuid4().hex}", rdzv_backend="c10d",
                                  rdzv_endpoint="localhost:0", max_restarts=0, start_method="spawn",
                                  logs_specs=DefaultLogsSpecs(log_dir=logs))
            elastic_launch(config, work)(spec)
    except BaseException as exc:  # noqa: BLE001 - the run's end says what it was
        outcome["error"] = exc


def _accept(listener: Listener, processes: int, arrivals: queue.SimpleQueue) -> None:
    """Each process's link as it connects, with the rank and pid it says first."""
    for _ in range(processes):
        try:
            link = listener.accept()
            kind, rank, pid = receive(link)
        except (OSError, EOFError, ValueError, TypeError):  # closed, or the wake-up call of _wake
            return
        if kind == "hello":
            arrivals.put((rank, pid, link))


def _wake(listener: Listener, authkey: bytes) -> None:
    from multiprocessing.connection import Client

    with contextlib.suppress(OSError):
        Client(listener.address, authkey=authkey).close()


def _kill(pid: int) -> None:
    with contextlib.suppress(OSError):  # ended already
        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))  # Windows has no SIGKILL


def _killed(error: BaseException | None, told: set[int], processes: int) -> str | None:
    """The rank the launcher saw killed by a signal, having told nothing, in one line; None if none was."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    if not isinstance(error, ChildFailedError):
        return None
    rank, failure = error.get_first_failure()
    return _launch_failure(error, processes) if failure.exitcode < 0 and rank not in told else None


def _launch_failure(error: BaseException | None, processes: int) -> str:
    """A launch that ended without a word from any process: the first failed rank's exit, in one line."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    if isinstance(error, ChildFailedError):
        rank, failure = error.get_first_failure()
        if failure.exitcode < 0:
            return tr("process {rank} of {count} was killed by {signal}", rank=rank, count=processes,
                      signal=failure.signal_name())
        return tr("process {rank} of {count} ended with exit code {code}", rank=rank, count=processes,
                  code=failure.exitcode)
    if error is not None:
        return tr("the processes could not be started: {error}", error=f"{type(error).__name__}: {error}")
    return tr("the processes ended without finishing the run")
