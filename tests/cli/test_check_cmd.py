"""`builder check`: a table per model and exit 0, or one line per problem and exit 1, never a traceback."""

import json
import subprocess
import sys

import nets
from graphs import chain, project

from builder.cli import main
from builder.core.project import save_project


def write(tmp_path, *models, name="net.json"):
    path = tmp_path / name
    save_project(project(*models), path)
    return str(path)


def test_clean_project_prints_a_table_with_totals(tmp_path, capsys):
    assert main(["check", write(tmp_path, nets.lenet())]) == 0
    out = capsys.readouterr().out
    assert "model LeNet" in out
    lines = out.splitlines()
    conv1 = next(line for line in lines if line.startswith("conv1"))
    assert conv1.split() == ["conv1", "Conv2d", "6×28×28", "156", "117,600"]
    total = next(line for line in lines if line.startswith("total"))
    assert total.split()[1] == "61,706"


def test_problems_name_their_node_and_exit_1(tmp_path, capsys):
    bad = chain("Net", [1, 2, 2], [("pool", "MaxPool2d", {"kernel_size": 3})])
    assert main(["check", write(tmp_path, bad)]) == 1
    assert capsys.readouterr().out == "pool: kernel 3 is larger than its 2×2 input\n"


def test_several_models_prefix_the_model(tmp_path, capsys):
    bad = chain("D", [4], [("fc", "Linear", {"out_features": 0})])
    assert main(["check", write(tmp_path, nets.lenet(), bad)]) == 1
    out = capsys.readouterr().out
    assert "D/fc: out_features must be at least 1, got 0" in out
    assert "model LeNet" in out


def test_bad_files_and_arguments_get_one_line_and_exit_2(tmp_path, capsys):
    assert main(["check", str(tmp_path / "missing.json")]) == 2
    assert capsys.readouterr().err.strip().endswith("missing.json: no such file")
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    assert main(["check", str(broken)]) == 2
    assert "broken.json: line 1, column 2: not valid JSON" in capsys.readouterr().err
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"format": "other", "version": 1}))
    assert main(["check", str(wrong)]) == 2
    assert "this is not an NN Builder project" in capsys.readouterr().err
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "PROJECT" in err
    assert main(["frobnicate"]) == 2
    assert main(["check", write(tmp_path, nets.lenet()), "--model", "Nope"]) == 2
    assert "no model named 'Nope' (models: LeNet)" in capsys.readouterr().err


def test_python_dash_m_and_console_script_run_without_traceback(tmp_path):
    path = write(tmp_path, chain("Net", [1, 2, 2], [("pool", "MaxPool2d", {"kernel_size": 3})]))
    result = subprocess.run([sys.executable, "-m", "builder", "check", path], capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout.startswith("pool: ")
    helped = subprocess.run([sys.executable, "-m", "builder", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "check" in helped.stdout and "export" in helped.stdout


def test_output_into_a_pipe_closed_early_ends_quietly():
    """`builder blocks | head -1`: the reader goes away before the output is written."""
    process = subprocess.Popen([sys.executable, "-m", "builder", "blocks"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # before the command has imported what it needs, let alone printed
    error = process.stderr.read()
    assert process.wait(timeout=60) == 1
    assert "Traceback" not in error and "BrokenPipe" not in error, error


def test_check_refuses_what_training_would_refuse_gan_pairing(tmp_path, capsys):
    """A GAN whose generator makes 1×16×16 images for a discriminator taking 1×32×32: check says so (exit 1),
    without reading any data, as train would."""
    path = tmp_path / "gan.json"
    assert main(["new", "dcgan", str(path)]) == 0
    document = json.loads(path.read_text())
    generator = next(m for m in document["models"] if m["name"] == "G")
    last = next(n for n in generator["nodes"] if n["id"] == "deconv4")
    last["params"].update({"stride": 1, "padding": 0, "kernel_size": 1})
    path.write_text(json.dumps(document))
    capsys.readouterr()
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "the generator G makes 1×16×16 images but the discriminator D takes 1×32×32: make them the same"
    assert main(["train", str(path), "--epochs", "1"]) == 1
    assert capsys.readouterr().out.splitlines() == out[-1:]


def test_check_prints_lints_as_warnings_and_settings_problems(tmp_path, capsys):
    model = chain("Net", [1, 16, 16], [("f", "Flatten"), ("fc", "Linear", {"out_features": 4}), ("sm", "Softmax")])
    path = tmp_path / "net.json"
    saved = project(model)
    saved.training = {"device": "cpu"}
    save_project(saved, path)
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "warning: Net/sm: Softmax right before CrossEntropyLoss" in out
    saved.training = {"device": "cpu", "batch_size": 8}
    save_project(saved, path)
    assert main(["check", str(path)]) == 1
    assert "training.batch_size: unknown key" in capsys.readouterr().out


def test_batch_size_adds_each_nodes_memory_and_the_training_estimate(tmp_path, capsys):
    from builder.core.templates import template_text

    path = tmp_path / "example.json"
    path.write_text(template_text("example"))
    assert main(["check", str(path), "--batch-size", "64"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["node", "type", "output", "params", "MACs", "memory"]
    relu = next(line for line in lines if line.startswith("relu1 "))
    assert relu.split()[-2:] == ["1.6", "MB"]  # 64 × 8×28×28 floats
    assert any(line.startswith("training memory at batch 64: about ") for line in lines)
    assert any("Adam state" in line for line in lines)
    assert main(["check", str(path), "--batch-size", "0"]) == 2
