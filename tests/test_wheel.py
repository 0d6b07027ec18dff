"""The package works outside the checkout: a wheel built with `pip wheel .`, installed (not editable) into a
fresh environment and run from an unrelated folder, has its templates and trains.

The fresh environment borrows the already installed dependencies (torch, Qt...) through a .pth line that
names the test environment's site-packages: that makes them importable without processing that folder's
own .pth files, so the checkout's editable install stays invisible and only the wheel provides `builder`.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args, cwd=None, env=None, timeout=300):
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the fresh environment's bin folder, a folder with nothing of the checkout in it)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # a copy without build/ leftovers, which could hide a file the wheel lacks
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__"))
    run(sys.executable, "-m", "pip", "wheel", source, "--no-deps", "--no-build-isolation", "--quiet",
        "--wheel-dir", base / "dist", cwd=base)
    wheels = list((base / "dist").glob("nn_builder-*.whl"))
    assert len(wheels) == 1
    venv = base / "fresh"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    fresh_site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (fresh_site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--quiet", wheels[0])
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return python.parent, elsewhere


def clean_env():
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def test_the_installed_package_is_the_wheel_not_the_checkout(installed):
    bin_folder, elsewhere = installed
    where = run(bin_folder / "python", "-c", "import builder; print(builder.__file__)", cwd=elsewhere, env=clean_env())
    assert Path(where.strip()).is_relative_to(bin_folder.parent) and not Path(where.strip()).is_relative_to(ROOT)


def test_templates_new_check_and_train_from_an_unrelated_folder(installed):
    bin_folder, elsewhere = installed
    builder = bin_folder / "builder"
    env = clean_env()
    listing = run(builder, "templates", cwd=elsewhere, env=env)
    assert listing.splitlines()[1].startswith("lenet ")
    run(builder, "new", "lenet", "x.json", cwd=elsewhere, env=env)
    assert "model LeNet" in run(builder, "check", "x.json", cwd=elsewhere, env=env)
    project = (elsewhere / "x.json").read_text().replace('"samples": 3000', '"samples": 600')
    (elsewhere / "x.json").write_text(project)  # a smaller data set: the point is that it runs, not how well
    out = run(builder, "train", "x.json", "--epochs", "1", "--device", "cpu", cwd=elsewhere, env=env)
    assert "epoch 1/1" in out
    assert {"LeNet.pt", "model.py", "metrics.csv", "checkpoint.pt"} <= {p.name for p in (elsewhere / "x-training").iterdir()}


def test_the_wheel_carries_the_chinese_catalogs(installed):
    bin_folder, elsewhere = installed
    env = clean_env()
    run(bin_folder / "builder", "new", "lenet", "zh.json", cwd=elsewhere, env=env)
    table = run(bin_folder / "builder", "--lang", "zh_CN", "check", "zh.json", cwd=elsewhere, env=env)
    assert "模型 LeNet" in table or "节点" in table, table
