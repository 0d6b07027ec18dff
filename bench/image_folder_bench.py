"""Reading an image folder: a 60,000-image 28×28 PNG folder (MNIST-sized, 10 class folders) before the first step.

Prints, best and median of N runs, each as a ratio to the first (the baseline, in this same process):
- plain loop: a sequential PIL loop over the same files (open, convert, np.asarray into a list), the files
  listed beforehand (the app lists them itself, inside its time);
- app, first read: image_folder as training reads it, the cache emptied before each run (decode, then keep);
- app, cached: the same folder again, from the cache (target: under 2 s);
- app, no cache: BUILDER_IMAGE_CACHE_MB=0, the decoding alone.
Each also with its processor time (this process's and its workers'), which says what a read costs where wall
time cannot (a busy machine). Then the peak memory of each read, in a fresh process each (VmHWM growth).
Run: nice .venv/bin/python bench/image_folder_bench.py [--count 60000] [--folder DIR] [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from builder.train.data import image_cache
from builder.train.data.base import SourceRequest

CLASSES = 10
SHAPE = (1, 28, 28)


def make_folder(folder: Path, count: int) -> None:
    """`count` 28×28 grey PNGs in 10 class folders: a bright stroke on black, about as small as MNIST's."""
    rng = np.random.default_rng(0)
    for i in range(count):
        image = np.zeros((28, 28), dtype=np.uint8)
        r, c = rng.integers(4, 20, 2)
        image[r:r + 6, c:c + rng.integers(2, 8)] = rng.integers(128, 256, (6, 1), dtype=np.uint8)
        path = folder / str(i % CLASSES) / f"{i:06d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(path)


def plain_loop(files: list[Path]) -> list[np.ndarray]:
    arrays = []
    for path in files:
        with Image.open(path) as image:
            arrays.append(np.asarray(image.convert("L")))
    return arrays


def app_read(folder: Path, cache: Path):
    request = SourceRequest({"kind": "image_folder", "path": folder.name}, SHAPE, (CLASSES,), "classification",
                            folder.parent, cache_folder=cache)
    return image_cache.load(request)


def timed(fn, repeats: int, before=lambda: None) -> tuple[float, float, float]:
    """Best and median wall time, and the least processor time (this process's and its workers')."""
    times, cpu = [], []
    for _ in range(repeats):
        before()
        start, start_cpu = time.perf_counter(), processor_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(processor_time() - start_cpu)
    return min(times), statistics.median(times), min(cpu)


def processor_time() -> float:
    """Seconds of processor time used so far by this process and its ended workers: on a busy machine, where
    wall time says little, what a read costs."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def peak_memory(kind: str, folder: Path, cache: Path) -> None:
    """In this (fresh) process: one read of `kind`, then the growth of its peak resident size, in MB."""
    files = sorted(folder.rglob("*.png"))
    if kind == "nocache":
        os.environ[image_cache.LIMIT_VARIABLE] = "0"
    before = peak_kib()
    result = plain_loop(files) if kind == "plain" else app_read(folder, cache)
    after = peak_kib()
    del result
    print((after - before) / 1024)


def peak_kib() -> int:
    """This process's peak resident size. VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent
    that started this process (the bench, after its own reads), which would hide this one's."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux; a rough figure elsewhere


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60_000)
    parser.add_argument("--folder", type=Path, help="an image folder to reuse (made there when it is empty)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory", choices=["plain", "cold", "cached", "nocache"], help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="image-folder-bench-"))
    try:
        folder = (args.folder or scratch / "digits").resolve()
        cache = scratch / "cache"
        if args.memory:
            return peak_memory(args.memory, folder, args.cache)
        if not folder.exists() or not any(folder.iterdir()):
            start = time.perf_counter()
            make_folder(folder, args.count)
            print(f"made {args.count:,} PNGs in {folder} in {time.perf_counter() - start:.1f} s")
        files = sorted(folder.rglob("*.png"))
        print(f"{len(files):,} files, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB, "
              f"{len(os.sched_getaffinity(0))} cores, best and median of {args.repeats}")
        empty = lambda: shutil.rmtree(cache, ignore_errors=True)  # noqa: E731
        results = {
            "plain PIL loop": timed(lambda: plain_loop(files), args.repeats),
            "app, first read": timed(lambda: app_read(folder, cache), args.repeats, before=empty),
            "app, cached": timed(lambda: app_read(folder, cache), args.repeats),
        }
        os.environ[image_cache.LIMIT_VARIABLE] = "0"
        results["app, no cache"] = timed(lambda: app_read(folder, cache), args.repeats)
        del os.environ[image_cache.LIMIT_VARIABLE]
        print(app_read(folder, cache).description)
        baseline = results["plain PIL loop"][0]
        for name, (best, median, cpu) in results.items():
            print(f"{name:16}: {best:6.2f} s (median {median:6.2f})  ratio to the plain loop {best / baseline:5.2f}"
                  f"   processor time {cpu:6.2f} s (ratio {cpu / results['plain PIL loop'][2]:5.2f})")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: wall times are only worth comparing "
              "on a quiet machine")
        for kind in ("plain", "cold", "cached", "nocache"):
            where = cache if kind == "cached" else scratch / f"memory-{kind}"
            child = subprocess.run([sys.executable, __file__, "--memory", kind, "--folder", str(folder), "--cache",
                                    str(where)], capture_output=True, text=True, check=True)
            print(f"peak memory, {kind:8}: +{float(child.stdout.split()[-1]):6.0f} MB")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
