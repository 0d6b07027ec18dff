"""`builder train` and `builder eval`: the files a user takes away load and predict as in the app."""

import csv
import importlib.util

import torch
from projects import shapes_project

from builder.cli import main
from builder.core.project import save_project


def saved(tmp_path, project):
    path = tmp_path / "shapes.json"
    save_project(project, path)
    return path


def test_train_writes_metrics_weights_code_and_checkpoint(tmp_path, capsys):
    path = saved(tmp_path, shapes_project(samples=300, training={"epochs": 2}))
    assert main(["train", str(path)]) == 0
    out_dir = tmp_path / "shapes-training"
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "Net.pt", "Net.safetensors", "README.md", "checkpoint.pt", "classes.json", "metrics.csv", "model.py"]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("epoch 1/2  train_loss ") and "val_accuracy" in lines[0]
    rows = list(csv.DictReader((out_dir / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert list(rows[0]) == ["epoch", "train_loss", "val_loss", "val_accuracy", "lr", "seconds"]

    spec = importlib.util.spec_from_file_location("exported", out_dir / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.Net()
    model.load_state_dict(torch.load(out_dir / "Net.pt", weights_only=True))
    from safetensors.torch import load_file

    other = module.Net()
    other.load_state_dict(load_file(out_dir / "Net.safetensors"))
    x = torch.rand(3, 1, 16, 16)
    torch.testing.assert_close(model.eval()(x), other.eval()(x))


def test_a_classifiers_folder_names_its_classes_by_output_index(tmp_path):
    """classes.json, the README and model.py's docstring say which output is 'circle'; the README's recipe
    turns a prediction into names."""
    import json

    path = saved(tmp_path, shapes_project(samples=200, training={"epochs": 1}))
    assert main(["train", str(path), "--out", str(tmp_path / "run")]) == 0
    out = tmp_path / "run"
    shapes = ["circle", "square", "triangle", "cross"]  # the synthetic set's labels, in order
    assert json.loads((out / "classes.json").read_text()) == shapes
    readme = (out / "README.md").read_text()
    assert '0: "circle"\n1: "square"\n2: "triangle"\n3: "cross"' in readme
    namespace = {}
    exec((out / "model.py").read_text(), namespace)
    assert "output i scores class i" in namespace["__doc__"] and '    3: "cross"' in namespace["__doc__"]
    model = namespace["Net"]().eval()
    model.load_state_dict(torch.load(out / "Net.pt", weights_only=True))
    recipe = readme.split("```python")[-1].split("```")[0].replace('open("classes.json")',
                                                                   f"open({str(out / 'classes.json')!r})")
    with torch.no_grad():
        prediction = model(torch.rand(3, 1, 16, 16))
    scope = {"prediction": prediction}
    exec(recipe, scope)
    assert scope["names"] == [shapes[i] for i in prediction.argmax(dim=1).tolist()]


def test_resume_appends_epochs(tmp_path, capsys):
    path = saved(tmp_path, shapes_project(samples=200, training={"epochs": 2}))
    out = tmp_path / "run"
    assert main(["train", str(path), "--out", str(out), "--epochs", "1"]) == 0
    assert main(["train", str(path), "--out", str(out), "--epochs", "2", "--resume"]) == 0
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert "resuming after epoch 1" in capsys.readouterr().err


def test_eval_prints_the_table(tmp_path, capsys):
    path = saved(tmp_path, shapes_project(samples=300, training={"epochs": 1}))
    assert main(["train", str(path), "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    assert main(["eval", str(path), "--weights", str(tmp_path / "run" / "Net.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "validation samples  75" in out and "accuracy" in out and "confusion matrix" in out
    assert all(name in out for name in ("circle", "square", "triangle", "cross"))


def test_problems_before_training_exit_1_and_bad_weights_exit_2(tmp_path, capsys):
    path = saved(tmp_path, shapes_project(training={"lr": -1}))
    assert main(["train", str(path)]) == 1
    assert capsys.readouterr().out == "training.lr: must be greater than 0, got -1\n"
    good = saved(tmp_path, shapes_project(samples=100))
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    assert main(["eval", str(good), "--weights", str(junk)]) == 2
    assert capsys.readouterr().err.startswith(f"{junk}: is a text file, not a weights file")
    assert main(["train", str(good), "--epochs", "0"]) == 2


def test_a_hostile_weights_file_never_runs_code(tmp_path, capsys):
    import pickle

    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"fc.weight": Payload()}))
    good = saved(tmp_path, shapes_project(samples=100))
    assert main(["eval", str(good), "--weights", str(evil)]) == 2
    assert not marker.exists()


def test_train_a_gan_writes_metrics_samples_both_weights_and_code(tmp_path, capsys):
    import subprocess
    import sys

    from nets import small_gan_project
    from PIL import Image

    path = tmp_path / "gan.json"
    save_project(small_gan_project(samples=200, epochs=2), path)
    out = tmp_path / "gan-run"
    assert main(["train", str(path), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "D.pt", "D.safetensors", "G.pt", "G.safetensors", "README.md", "checkpoint.pt", "metrics.csv", "model.py",
        "sample.py", "samples_epoch1.png", "samples_epoch2.png"]
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert list(rows[0]) == ["epoch", "d_loss", "g_loss", "d_real", "d_fake", "lr", "seconds"] and len(rows) == 2
    assert 0 < float(rows[0]["d_real"]) < 1 and 0 < float(rows[0]["d_fake"]) < 1
    assert Image.open(out / "samples_epoch2.png").size[0] > 64
    namespace = {}
    exec((out / "model.py").read_text(), namespace)
    g, d = namespace["G"](), namespace["D"]()
    g.load_state_dict(torch.load(out / "G.pt", weights_only=True))
    d.load_state_dict(torch.load(out / "D.pt", weights_only=True))
    assert d(g(torch.randn(3, 16, 1, 1))).shape == (3, 1)
    result = subprocess.run([sys.executable, "sample.py", "9", "nine.png"], cwd=out, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert Image.open(out / "nine.png").size == (3 * 18 + 2, 3 * 18 + 2)
    assert main(["eval", str(path), "--weights", str(out / "G.pt")]) == 2
    assert "trains a GAN" in capsys.readouterr().err


def test_a_resumed_gan_run_writes_the_sample_grid_a_kill_kept_it_from_writing(tmp_path):
    from nets import small_gan_project

    path = tmp_path / "gan.json"
    save_project(small_gan_project(samples=64, epochs=1), path)
    out = tmp_path / "run"
    assert main(["train", str(path), "--out", str(out)]) == 0
    (out / "samples_epoch1.png").unlink()  # as if killed after the checkpoint, before the epoch's image
    assert main(["train", str(path), "--out", str(out), "--epochs", "2", "--resume"]) == 0
    assert (out / "samples_epoch1.png").is_file() and (out / "samples_epoch2.png").is_file()


def test_health_prints_each_layer_after_each_epoch_and_writes_health_csv(tmp_path, capsys):
    path = saved(tmp_path, shapes_project(samples=200))
    out = tmp_path / "run"
    assert main(["train", str(path), "--out", str(out), "--health", "3"]) == 0
    printed = capsys.readouterr().out
    assert "layer health at step " in printed
    assert any(line.split()[:1] == ["relu1"] and line.split()[3].endswith("%") for line in printed.splitlines())
    rows = list(csv.DictReader((out / "health.csv").open()))
    assert list(rows[0]) == ["epoch", "step", "node", "mean", "std", "zeros", "grad_norm", "update_ratio"]
    assert {r["node"] for r in rows} == {"conv1", "relu1", "conv2", "relu2", "fc"}
    assert rows[0]["step"] == "3" and float(next(r for r in rows if r["node"] == "relu1")["zeros"]) >= 0


def test_tensorboard_writes_a_run_folder_inside_dir_and_says_where(tmp_path, capsys, monkeypatch):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    path = saved(tmp_path, shapes_project(samples=200, training={"epochs": 2}))
    monkeypatch.chdir(tmp_path)  # DIR is taken from the current folder, like --out
    assert main(["train", str(path), "--out", "run", "--tensorboard", "logs"]) == 0
    (folder,) = (tmp_path / "logs").iterdir()
    assert folder.name.endswith("_Net")
    assert f"TensorBoard log: {folder} (view it with: tensorboard --logdir {tmp_path / 'logs'})" in (
        capsys.readouterr().err)
    log = EventAccumulator(str(folder))
    log.Reload()
    rows = list(csv.DictReader((tmp_path / "run" / "metrics.csv").open()))
    written = [(e.step, e.value) for e in log.Scalars("epoch/val_loss")]
    assert [s for s, _v in written] == [1, 2]
    assert [round(v, 4) for _s, v in written] == [round(float(r["val_loss"]), 4) for r in rows]


def test_tensorboard_without_the_package_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    import sys

    path = saved(tmp_path, shapes_project(samples=200))
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if it were not installed
    assert main(["train", str(path), "--tensorboard", str(tmp_path / "logs")]) == 2
    assert capsys.readouterr().err.splitlines() == [
        '--tensorboard: TensorBoard logs need the tensorboard package: pip install "nn-builder[tensorboard]"']
    assert not (tmp_path / "logs").exists() and not (tmp_path / "shapes-training").exists()


def test_train_says_what_it_read_and_a_second_run_reads_images_from_the_cache(tmp_path, capsys, monkeypatch):
    from PIL import Image
    from projects import cnn

    from builder.train.data import image_cache

    monkeypatch.setattr(image_cache, "CACHE_FROM", 1)  # the cache, for a folder small enough for a test
    for label, shade in (("a", 40), ("b", 200)):
        (tmp_path / "imgs" / label).mkdir(parents=True)
        for i in range(12):
            Image.new("L", (16, 16), color=shade + i).save(tmp_path / "imgs" / label / f"{i}.png")
    path = saved(tmp_path, shapes_project(cnn(classes=2), data={"source": {"kind": "image_folder", "path": "imgs"}},
                                          training={"epochs": 1}))
    assert main(["train", str(path)]) == 0
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith("image folder imgs/: 24 images in 2 classes, read as 1×16×16; decoded 24 images in ")
    assert first.endswith(", kept in .builder-cache/images/ for the next run")
    assert main(["train", str(path)]) == 0
    assert "; read 24 images from the cache in " in capsys.readouterr().err.splitlines()[0]
