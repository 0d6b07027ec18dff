"""`builder train` killed with SIGKILL, as a crash or a power cut would stop it, then `--resume`d.

Each run here is a real process. The promises checked: at most the epoch in progress is lost, the checkpoint
is never half-written (even when the kill lands while it is being written), metrics.csv ends with every
epoch once and in order, and the resumed run ends with exactly the weights of a run that was never stopped.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from nets import small_gan_project
from projects import cnn, shapes_project

from builder.core.project import save_project
from builder.train.checkpoint import load_checkpoint

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

EPOCHS = 4  # supervised: killed after 2, resumed to 4
GAN_EPOCHS = 3  # killed after 1, resumed to 3
PATIENCE = 120.0  # seconds a run may take to reach what a test waits for, on a busy 2-core machine
# One thread per run: torch processes side by side with a thread per core each spin-wait on one another
# (OpenMP) and crawl (40 s epochs instead of 0.4 s, seen here on 2 cores); this way a reference run trains
# beside the run being killed. Every run here uses the same setting, so their numbers compare bit for bit.
ENVIRONMENT = {**os.environ, "OMP_NUM_THREADS": "1"}
STARTED: list[subprocess.Popen] = []  # every run, so that none outlives a test that failed


@pytest.fixture(autouse=True)
def no_run_outlives_its_test():
    """Module-scoped fixtures (the reference runs) are set up before this one, so only the test's own runs
    come after `first`."""
    first = len(STARTED)
    yield
    for process in STARTED[first:]:
        stop(process)


# -- the runs ----------------------------------------------------------------------------------------


def start(project: Path, out: Path, epochs: int, resume: bool = False) -> subprocess.Popen:
    """`python -m builder train` in its own process; its output goes to a log file (a pipe nobody reads
    could fill up and stall it)."""
    command = [sys.executable, "-m", "builder", "train", str(project), "--out", str(out), "--epochs", str(epochs),
               *(["--resume"] if resume else [])]
    log = out.parent / f"{out.name}-{time.monotonic_ns()}.log"
    with log.open("w") as handle:  # the child keeps its own copy
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=ENVIRONMENT)
    process.log = log
    STARTED.append(process)
    return process


def stop(process: subprocess.Popen) -> None:
    process.kill()  # nothing happens to a run that has ended
    process.wait()


def finish(process: subprocess.Popen) -> str:
    """Wait for a run to end well; its output."""
    process.wait(timeout=PATIENCE)
    output = process.log.read_text()
    assert process.returncode == 0, output
    return output


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the run ended on its own before the kill"


def wait_until(condition, process: subprocess.Popen, what: str, poll: float = 0.01) -> None:
    """Poll, never sleep blindly: fail as soon as the run ends or takes too long."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert process.poll() is None, f"the run ended (exit {process.returncode}) before {what}"
        assert time.monotonic() < deadline, f"waited {PATIENCE:.0f} s for {what}"
        time.sleep(poll)


def epochs_trained(output: str) -> list[int]:
    """The epochs a run went through, from its line per epoch ("epoch 3/4  train_loss ...")."""
    return [int(epoch) for epoch in re.findall(r"^epoch (\d+)/", output, re.MULTILINE)]


def resumed_after(output: str) -> int:
    found = re.search(r"resuming after epoch (\d+)", output)
    assert found, output
    return int(found.group(1))


# -- what a run leaves ------------------------------------------------------------------------------------


def metrics(out: Path) -> list[dict[str, str]]:
    """metrics.csv's rows (written atomically: a read sees a whole file); [] before the first epoch ends."""
    try:
        with (out / "metrics.csv").open() as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError:
        return []


def epochs_in(out: Path) -> list[int]:
    return [int(row["epoch"]) for row in metrics(out)]


def figures(out: Path) -> list[dict[str, str]]:
    """The metrics without the time each epoch took: what an exact resume must reproduce."""
    return [{k: v for k, v in row.items() if k != "seconds"} for row in metrics(out)]


def checkpoint_epoch(out: Path) -> int:
    """The epoch of the checkpoint, which load_checkpoint reads whole and checks part by part."""
    state = load_checkpoint(out / "checkpoint.pt")
    assert len(state["history"]) == state["epoch"]
    return state["epoch"]


def trained_weights(out: Path, class_name: str) -> dict[str, torch.Tensor]:
    """The weights file, read safely, after loading it into its class from the exported model.py."""
    spec = importlib.util.spec_from_file_location(f"model_{abs(hash(out))}", out / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    state = torch.load(out / f"{class_name}.pt", weights_only=True)
    getattr(module, class_name)().load_state_dict(state)
    return state


def assert_same_weights(out: Path, reference: Path, class_name: str) -> None:
    ours, theirs = trained_weights(out, class_name), trained_weights(reference, class_name)
    assert ours.keys() == theirs.keys()
    different = [name for name in ours if not torch.equal(ours[name], theirs[name])]
    assert not different, f"{class_name}: the resumed run's weights differ from an unstopped run's in {different}"


def assert_resumed_exactly(out: Path, reference: Path, epochs: int, class_names: tuple[str, ...]) -> None:
    assert epochs_in(out) == list(range(1, epochs + 1))
    assert figures(out) == figures(reference)  # every epoch's losses, as if never stopped
    assert checkpoint_epoch(out) == epochs
    for name in class_names:
        assert_same_weights(out, reference, name)


# -- the projects and their unstopped runs ------------------------------------------------------------------


class Reference:
    """An uninterrupted run, started at once and waited for only when a test compares against it, so that it
    trains while the tests kill and resume theirs."""

    def __init__(self, project: Path, out: Path, epochs: int) -> None:
        self.out = out
        self.process = start(project, out, epochs)

    def folder(self) -> Path:
        if self.process.returncode is None:
            finish(self.process)
        return self.out


def supervised_project(path: Path) -> Path:
    """Dropout (the global RNG), shuffling (its own generator) and a schedule: every state a resume restores.
    keep_best is off so the final weights are the last epoch's, which only an exact resume gets right."""
    save_project(shapes_project(cnn(dropout=True), samples=6000, training={
        "epochs": EPOCHS, "keep_best": False, "schedule": {"kind": "StepLR", "step_size": 2, "gamma": 0.5}}), path)
    return path


def gan_project(path: Path) -> Path:
    save_project(small_gan_project(samples=320, epochs=GAN_EPOCHS), path)
    return path


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """Both projects, and an uninterrupted run of each, started together as the first test begins."""
    folder = tmp_path_factory.mktemp("projects")
    projects = {"supervised": (supervised_project(folder / "shapes.json"), EPOCHS),
                "gan": (gan_project(folder / "gan.json"), GAN_EPOCHS)}
    runs = {kind: (project, Reference(project, folder / f"{kind}-unstopped", epochs))
            for kind, (project, epochs) in projects.items()}
    yield runs
    for _project, reference in runs.values():
        stop(reference.process)


@pytest.fixture
def supervised(references):
    return references["supervised"]


@pytest.fixture
def gan(references):
    return references["gan"]


def kill_mid_epoch(project: Path, out: Path, epochs: int, after: int) -> int:
    """Start a run, let `after` epochs end, kill it about half way through the next; the epochs done then."""
    process = start(project, out, epochs)
    wait_until(lambda: len(epochs_in(out)) >= after, process, f"epoch {after} ended")
    last = float(metrics(out)[-1]["seconds"])
    time.sleep(min(last / 2, 2.0))  # about half an epoch, going by the last one
    kill(process)
    return len(epochs_in(out))


# -- the tests ----------------------------------------------------------------------------------------------


def test_a_killed_run_resumes_after_its_last_epoch_exactly(supervised, tmp_path):
    project, reference = supervised
    out = tmp_path / "run"
    done = kill_mid_epoch(project, out, EPOCHS, after=2)
    saved = checkpoint_epoch(out)
    assert saved >= done  # the checkpoint is written before metrics.csv: never behind it

    output = finish(start(project, out, EPOCHS, resume=True))
    after = resumed_after(output)
    print(f"\nsupervised: {done} epochs in metrics.csv at the kill, resumed after epoch {after}")
    assert after == saved >= done  # only the epoch in progress was lost
    assert epochs_trained(output) == list(range(after + 1, EPOCHS + 1))
    assert_resumed_exactly(out, reference.folder(), EPOCHS, ("Net",))


def test_a_kill_while_the_checkpoint_is_written_leaves_the_previous_one_whole(supervised, tmp_path):
    """A few tries, each resuming the last, until a kill is seen to land inside a checkpoint write."""
    project, reference = supervised
    out = tmp_path / "run"
    torn, kept = [], []  # torn: the temporary files kills left; kept: the checkpoint's epoch after each kill
    process = start(project, out, EPOCHS)
    while not torn and len(kept) < EPOCHS - 1:  # a kill that misses still lets one more epoch end
        torn = kill_while_checkpointing(process, out)
        kept.append(checkpoint_epoch(out))  # whole and readable, whatever the moment
        assert kept[-1] >= len(epochs_in(out))
        process = start(project, out, EPOCHS, resume=True)
    sizes = ", ".join(f"{(out / name).stat().st_size:,} bytes" for name in torn)
    print(f"\ncheckpoint write: killed {len(kept)} time(s), the checkpoint then held epoch {kept}; the write cut "
          f"short left {sizes or 'nothing'} (the checkpoint: {(out / 'checkpoint.pt').stat().st_size:,} bytes)")
    assert torn, "no kill landed inside a checkpoint write; the test proved nothing"

    output = finish(process)
    assert resumed_after(output) == kept[-1]
    assert_resumed_exactly(out, reference.folder(), EPOCHS, ("Net",))


def kill_while_checkpointing(process: subprocess.Popen, out: Path) -> list[str]:
    """Kill the run the moment a checkpoint's temporary file appears, once there is a checkpoint to keep. When
    the kill lands before the rename that ends the write, the temporary file is left behind: its name."""
    checkpoint = out / "checkpoint.pt"
    wait_until(checkpoint.exists, process, "the first checkpoint")
    before, previous = set(checkpoint_temporaries(out)), identity(checkpoint)

    def writing() -> set[str]:
        return set(checkpoint_temporaries(out)) - before

    # A write shows as a temporary file beside the checkpoint (atomic), or, were it written in place, as the
    # file itself changing; it takes a few milliseconds, hence the busy wait.
    wait_until(lambda: writing() or identity(checkpoint) != previous, process, "a checkpoint write", poll=0)
    kill(process)
    return sorted(writing())


def identity(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns


def checkpoint_temporaries(out: Path) -> list[str]:
    """The temporary files of checkpoint writes (builder/core/atomic.py: `.checkpoint.pt.<random>.tmp`)."""
    try:
        return [name for name in os.listdir(out) if name.startswith(".checkpoint.pt.") and name.endswith(".tmp")]
    except FileNotFoundError:
        return []


def test_a_killed_gan_resumes_exactly(gan, tmp_path):
    project, reference = gan
    out = tmp_path / "run"
    done = kill_mid_epoch(project, out, GAN_EPOCHS, after=1)
    saved = checkpoint_epoch(out)
    assert saved >= done

    output = finish(start(project, out, GAN_EPOCHS, resume=True))
    after = resumed_after(output)
    print(f"\nGAN: {done} epochs in metrics.csv at the kill, resumed after epoch {after}")
    assert after == saved >= done
    assert epochs_trained(output) == list(range(after + 1, GAN_EPOCHS + 1))
    assert_resumed_exactly(out, reference.folder(), GAN_EPOCHS, ("G", "D"))
    final = f"samples_epoch{GAN_EPOCHS}.png"
    assert (out / final).read_bytes() == (reference.folder() / final).read_bytes()
