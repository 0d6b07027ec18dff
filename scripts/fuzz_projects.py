"""The full fuzz run: damaged project files through `builder check`, 10,000 by default.

    .venv/bin/python scripts/fuzz_projects.py [--examples N] [--seed S] [--keep DIR]

The same strategies and judge as tests/core/test_project_fuzz.py (tests/project_damage.py), many more
examples. Each file must end with exit status 0, 1 or 2, no traceback, no code from the file run and every
message located. Failing files are counted (the run goes on) and, with --keep, written to DIR to replay
with `builder check`. Prints the examples run, how many ended with each status, the failures and the time;
exits 1 when anything failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "tests"))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from project_damage import damaged_projects, failures, run_check  # noqa: E402

PROGRESS_EVERY = 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fuzz `builder check` with damaged project files.")
    parser.add_argument("--examples", type=int, default=10_000, help="damaged files to check (default 10,000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the run: the same seed draws the same files")
    parser.add_argument("--keep", type=Path, help="write each failing file, and what went wrong, into this folder")
    args = parser.parse_args(argv)

    statuses: Counter = Counter()
    failed: list[tuple[bytes, list[str]]] = []

    # Generate only: no shrinking or replaying, so one failure does not stop the run; every one is counted.
    @seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(damaged_projects())
    def check_one(document: bytes) -> None:
        outcome = run_check(document)
        statuses[outcome.status if outcome.crash is None else "crash"] += 1
        problems = failures(outcome)
        if problems:
            failed.append((document, problems))
        run = sum(statuses.values())
        if run % PROGRESS_EVERY == 0:
            print(f"... {run:,} files, {len(failed)} failures", file=sys.stderr, flush=True)

    started = time.perf_counter()
    check_one()
    seconds = time.perf_counter() - started
    if args.keep and failed:
        keep(args.keep, failed)
    report(statuses, failed, seconds)
    return 1 if failed else 0


def keep(folder: Path, failed: list[tuple[bytes, list[str]]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, (document, problems) in enumerate(failed):
        (folder / f"failure{i}.json").write_bytes(document)
        (folder / f"failure{i}.txt").write_text("\n\n".join(problems) + "\n", encoding="utf-8")


def report(statuses: Counter, failed: list[tuple[bytes, list[str]]], seconds: float) -> None:
    kinds = Counter(problems[0].split("\n")[0][:120] for _document, problems in failed)
    for kind, count in kinds.most_common(20):
        print(f"{count:6,}  {kind}")
    run = sum(statuses.values())
    print(f"examples run: {run:,}")
    print(f"exit status 0: {statuses[0]:,}  status 1: {statuses[1]:,}  status 2: {statuses[2]:,}"
          + (f"  other or crash: {run - statuses[0] - statuses[1] - statuses[2]:,}" if run > sum(
              statuses[s] for s in (0, 1, 2)) else ""))
    print(f"failures: {len(failed):,}")
    print(f"wall time: {seconds:.1f} s ({seconds / max(run, 1) * 1000:.0f} ms per file)")


if __name__ == "__main__":
    sys.exit(main())
