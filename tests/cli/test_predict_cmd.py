"""`builder predict` and `builder activations` on a trained example: right classes for the shapes it learned,
JSON, files of any size and colour mode, and every bad file named without a traceback."""

import json

from PIL import Image
from trained import shape_images

from builder.cli import main


def test_predict_names_the_class_of_the_shapes_it_was_trained_on(trained_example, tmp_path, capsys):
    project, weights = trained_example
    images = shape_images(tmp_path)
    assert main(["predict", str(project), "--weights", str(weights), *(str(p) for p, _ in images)]) == 0
    lines = capsys.readouterr().out.splitlines()
    right = sum(line.startswith(f"{path}: {name} (") for line, (path, name) in zip(lines, images))
    assert len(lines) == len(images) and right >= len(images) - 1, lines


def test_predict_json_lists_the_top_k_sorted_by_probability(trained_example, tmp_path, capsys):
    project, weights = trained_example
    [(path, name)] = shape_images(tmp_path, count=1)
    big = tmp_path / "big.png"
    Image.open(path).convert("RGB").resize((200, 150)).save(big)  # another size, another colour mode
    assert main(["predict", str(project), "--weights", str(weights), str(big), "--top", "3", "--json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    probs = [t["prob"] for t in result["top"]]
    assert result["file"] == str(big) and len(probs) == 3 and probs == sorted(probs, reverse=True)
    assert result["top"][0]["class"] == name and 0 < sum(probs) <= 1.0001


def test_a_missing_or_unreadable_file_is_named_the_others_still_tried(trained_example, tmp_path, capsys):
    project, weights = trained_example
    [(path, _name)] = shape_images(tmp_path, count=1)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    status = main(["predict", str(project), "--weights", str(weights), str(tmp_path / "nope.png"), str(broken),
                   str(path)])
    out = capsys.readouterr()
    assert status == 1 and "Traceback" not in out.err
    assert f"{tmp_path / 'nope.png'}: no such file" in out.err and f"{broken}: cannot be read as an image" in out.err
    assert out.out.startswith(f"{path}: ")


def test_activations_writes_a_picture_per_feature_map_and_a_summary(trained_example, tmp_path, capsys):
    project, weights = trained_example
    [(path, _name)] = shape_images(tmp_path, count=1)
    out = tmp_path / "acts"
    assert main(["activations", str(project), "--weights", str(weights), "--input", str(path), "--out", str(out)]) == 0
    pictures = sorted(p.stem for p in out.glob("*.png"))
    assert pictures == ["conv1", "conv2", "pool1", "pool2", "relu1", "relu2"]
    assert Image.open(out / "conv1.png").size[0] > 28  # eight 28×28 channels, tiled
    assert sorted(p.stem for p in out.glob("*.txt")) == sorted([*pictures, "flatten", "fc", "summary"])
    conv1 = (out / "conv1.txt").read_text().splitlines()
    assert len(conv1) == 1 + 8 and conv1[1].startswith("channel 0: min ")
    summary = (out / "summary.txt").read_text().splitlines()
    assert summary[1].startswith("conv1: 8×28×28, min ") and any(line.startswith("fc: 4, ") for line in summary)


def test_activations_refuse_a_missing_image_with_its_name(trained_example, tmp_path, capsys):
    project, weights = trained_example
    status = main(["activations", str(project), "--weights", str(weights), "--input", str(tmp_path / "x.png"),
                   "--out", str(tmp_path / "acts")])
    assert status == 2 and "x.png: no such file" in capsys.readouterr().err
