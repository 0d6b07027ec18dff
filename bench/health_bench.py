"""What layer-health sampling costs: the example trained with and without it, in one process, on the CPU.

The same prepared run (the example project on the built-in shapes, its own batch size and epochs) is trained
by the engine without health samples and with one every HEALTH_EVERY steps (builder train --health's
default), alternating, several times. Prints the best and median times of each and the slowdown
(with / without, best against best), then the cost of one sampled step against a plain one, measured step by
step (the figure that whole runs, noisy here by several percent, cannot give), as a share of `every` steps;
the target is under 3%.
Run: .venv/bin/python bench/health_bench.py [--repeats N] [--every N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from builder.cli.train_cmd import HEALTH_EVERY
from builder.core.templates import EXAMPLE, load_template
from builder.train.engine import Trainer
from builder.train.events import Health
from builder.train.setup import prepare


def timed(run, every: int | None) -> tuple[float, int]:
    start = time.perf_counter()
    samples = sum(isinstance(event, Health) for event in Trainer(run, health_every=every))
    return time.perf_counter() - start, samples


def per_step(run, every: int, repeats: int = 200) -> tuple[float, float]:
    """(a plain training step, a sampled one), best of `repeats` alternating: the sample's own cost, free of the
    noise that whole runs carry on this machine."""
    import torch

    from builder.train.health import HealthProbe

    model = run.new_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.003)
    probe = HealthProbe(model, run.code, run.report, every)
    x, y = next(iter(torch.utils.data.DataLoader(run.data.dataset, batch_size=run.settings.data.batch_size)))

    def step(sampled: bool) -> float:
        start = time.perf_counter()
        if sampled:
            probe.before_forward()
        loss = run.objective(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if sampled:
            probe.before_step()
        optimizer.step()
        if sampled:
            probe.after_step()
            probe.sample(1, 1)
        float(loss.detach())
        return time.perf_counter() - start

    plain, sampled = [], []
    for _ in range(repeats):
        plain.append(step(False))
        sampled.append(step(True))
    return min(plain), min(sampled)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--every", type=int, default=HEALTH_EVERY)
    args = parser.parse_args()
    project = load_template(EXAMPLE)
    project.training = {**project.training, "device": "cpu", "epochs": 4}
    run = prepare(project)
    timed(run, None)  # warm-up
    plain, sampled, samples = [], [], 0
    for _ in range(args.repeats):
        plain.append(timed(run, None)[0])
        seconds, samples = timed(run, args.every)
        sampled.append(seconds)
    print(f"example, 4 epochs: without health {min(plain):.3f} s (median {statistics.median(plain):.3f}), "
          f"with a sample every {args.every} steps ({samples} samples) {min(sampled):.3f} s "
          f"(median {statistics.median(sampled):.3f})")
    print(f"whole runs: {min(sampled) / min(plain) - 1:+.1%} best against best, "
          f"{statistics.median(sampled) / statistics.median(plain) - 1:+.1%} median against median (noisy here)")
    plain_step, sampled_step = per_step(run, args.every)
    share = (sampled_step - plain_step) / (args.every * plain_step)
    print(f"one step {plain_step * 1e3:.2f} ms, a sampled step {sampled_step * 1e3:.2f} ms (best of 200 each): "
          f"slowdown {share:+.2%} with a sample every {args.every} steps (target < 3%)")


if __name__ == "__main__":
    main()
