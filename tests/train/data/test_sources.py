"""The source registry and load_source's checks of a `data.source` object, and the contract every reader keeps."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch
from data_errors import error_of
from PIL import Image

from builder.blocks.params import KINDS
from builder.train.data import sources
from builder.train.data.base import TASKS, LoadedData, SourceRequest
from builder.train.data.sources import SOURCES, SourceKind, load_source, path_keys


def request(folder, spec, input_shape=(2,), task="classification", output_shape=(3,), **kw) -> SourceRequest:
    return SourceRequest(spec, tuple(input_shape), tuple(output_shape), task, folder, **kw)




def test_every_kind_is_registered_under_its_own_name():
    assert set(SOURCES) == {"synthetic", "image_folder", "npz", "npy", "idx", "csv"}
    for name, kind in SOURCES.items():
        assert isinstance(kind, SourceKind)
        assert kind.kind == name
        assert kind.description and kind.label and all(kind.keys.values())
        assert all(p.kind in KINDS for p in kind.params) and "kind" not in kind.keys
        assert set(kind.tasks) <= set(TASKS)
        assert kind.variant is None or kind.param(kind.variant).choices
    assert path_keys(SOURCES["npy"]) == ["x", "y"] and path_keys(SOURCES["npz"]) == ["path"]


def test_values_are_checked_by_their_declarations(tmp_path):
    assert error_of(request(tmp_path, {"kind": "synthetic", "samples": 0})) == (
        "synthetic 'samples' must be at least 1, got 0")
    assert error_of(request(tmp_path, {"kind": "csv", "path": "t.csv", "columns": "a, b"})).startswith(
        "csv 'columns' must be a list of names")
    assert error_of(request(tmp_path, {"kind": "npz", "path": 3})) == "npz 'path' must be the path of a file, as text; got 3"


def test_unknown_kind_suggests_the_closest_and_lists_the_known(tmp_path):
    message = error_of(request(tmp_path, {"kind": "npzz", "path": "d.npz"}))
    assert "unknown data source kind 'npzz' (did you mean 'npz'?)" in message
    assert "csv, idx, image_folder, npy, npz, synthetic" in message


def test_unknown_kind_with_nothing_close_lists_the_known(tmp_path):
    message = error_of(request(tmp_path, {"kind": "parquet"}))
    assert "did you mean" not in message
    assert "known kinds: csv, idx" in message


def test_a_spec_without_kind_or_not_an_object(tmp_path):
    assert "data.source has no 'kind'" in error_of(request(tmp_path, {"path": "d.npz"}))
    assert "must be an object" in error_of(request(tmp_path, ["npz"]))  # type: ignore[arg-type]


def test_unknown_key_suggests_the_closest(tmp_path):
    message = error_of(request(tmp_path, {"kind": "npz", "pth": "d.npz"}))
    assert "unknown key 'pth' (did you mean 'path'?)" in message
    assert "npz takes: path, x, y" in message


def test_keys_are_checked_before_any_file_is_opened(tmp_path):
    message = error_of(request(tmp_path, {"kind": "csv", "path": "missing.csv", "tagret": "y"}))
    assert "unknown key 'tagret' (did you mean 'target'?)" in message


def test_a_missing_required_key_is_named_with_its_help(tmp_path):
    message = error_of(request(tmp_path, {"kind": "npz"}))
    assert message.startswith("npz needs 'path':")
    assert "image_folder needs 'path'" in error_of(request(tmp_path, {"kind": "image_folder", "path": ""}))


def test_a_path_that_is_not_printable_text_is_refused_before_the_file_system_sees_it(tmp_path):
    # a NUL in the path raised ValueError from Path.resolve; a newline broke the message in two
    assert error_of(request(tmp_path, {"kind": "image_folder", "path": "a\x00b"})) == (
        "image_folder 'path' must be the path of a folder, as text; got 'a\\x00b'")
    assert "got ['d.npz']" in error_of(request(tmp_path, {"kind": "npz", "path": ["d.npz"]}))


def test_unknown_keys_show_on_one_printable_line(tmp_path):
    assert "unknown key 'a\\nb'" in error_of(request(tmp_path, {"kind": "npz", "path": "d.npz", "a\nb": 1}))


def test_a_task_the_source_cannot_serve(tmp_path):
    req = request(tmp_path, {"kind": "idx", "images": "i.gz"}, (1, 28, 28), task="regression")
    assert error_of(req) == "idx data cannot be used for regression; it can be used for classification, reconstruction"
    assert "unknown task 'segmentation'" in error_of(request(tmp_path, {"kind": "synthetic"}, task="segmentation"))


def test_an_os_error_inside_a_reader_becomes_a_data_error(tmp_path, monkeypatch):
    def broken(req: SourceRequest) -> LoadedData:
        raise PermissionError(13, "Permission denied", "secret/data.csv")

    monkeypatch.setitem(SOURCES, "broken", SourceKind("broken", "Broken", "test", (), broken))
    assert error_of(request(tmp_path, {"kind": "broken"})) == "secret/data.csv: Permission denied"


def _write_all_kinds(folder) -> dict[str, dict]:
    """A tiny 2-class data set of 1×8×8 images in every file format, for the contract test."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 8, 8), dtype=np.uint8)
    labels = np.array([0, 1, 0, 1, 1, 0], dtype=np.uint8)
    np.savez(folder / "d.npz", x=images[:, None] / 255.0, y=labels)
    np.save(folder / "x.npy", images / 255.0)
    np.save(folder / "y.npy", labels)
    (folder / "i.gz").write_bytes(gzip.compress(struct.pack(">IIII", 0x803, 6, 8, 8) + images.tobytes()))
    (folder / "l.gz").write_bytes(gzip.compress(struct.pack(">II", 0x801, 6) + labels.tobytes()))
    for i, (img, label) in enumerate(zip(images, labels)):
        (folder / "imgs" / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(folder / "imgs" / str(label) / f"{i}.png")
    return {
        "synthetic": {"kind": "synthetic", "samples": 6},
        "image_folder": {"kind": "image_folder", "path": "imgs"},
        "npz": {"kind": "npz", "path": "d.npz"},
        "npy": {"kind": "npy", "x": "x.npy", "y": "y.npy"},
        "idx": {"kind": "idx", "images": "i.gz", "labels": "l.gz"},
    }


@pytest.mark.parametrize("kind", ["synthetic", "image_folder", "npz", "npy", "idx"])
def test_every_image_source_keeps_the_loaded_data_contract(tmp_path, kind):
    spec = _write_all_kinds(tmp_path)[kind]
    data = load_source(request(tmp_path, spec, (1, 8, 8), output_shape=(2,)))
    assert data.description and "\n" not in data.description
    assert data.classes and len(data.classes) >= 2
    x, y = data.tensors
    assert x.dtype == torch.float32 and x.shape == (6, 1, 8, 8)
    assert y.dtype == torch.int64 and y.shape == (6,)
    assert x.min() >= 0 and x.max() <= 1
    assert len(data.dataset) == 6
    for i in range(6):
        xi, yi = data.dataset[i]
        assert torch.equal(xi, x[i]) and torch.equal(yi, y[i]) and yi.shape == ()
    if kind != "synthetic":
        assert data.files and all(path.exists() for path in data.files)


def test_the_same_pixels_read_from_every_format_agree(tmp_path):
    specs = _write_all_kinds(tmp_path)
    loaded = {
        kind: load_source(request(tmp_path, specs[kind], (1, 8, 8))).tensors
        for kind in ("image_folder", "npz", "npy", "idx")
    }
    # The image folder sorts by class first, so compare it by sorting on the label.
    order = torch.tensor([0, 2, 5, 1, 3, 4])
    reference_x, reference_y = loaded["idx"]
    for kind in ("npz", "npy"):
        assert torch.allclose(loaded[kind][0], reference_x)
        assert torch.equal(loaded[kind][1], reference_y)
    assert torch.equal(loaded["image_folder"][0], reference_x[order])
    assert torch.equal(loaded["image_folder"][1], reference_y[order])


def test_the_csv_source_keeps_the_contract_too(tmp_path):
    (tmp_path / "t.csv").write_text("a,b,label\n1,2,cat\n3,4,dog\n")
    data = load_source(request(tmp_path, {"kind": "csv", "path": "t.csv"}, (2,)))
    x, y = data.dataset[1]
    assert x.tolist() == [3.0, 4.0] and y.item() == 1 and data.classes == ["cat", "dog"]


def test_the_module_exposes_what_the_engine_calls():
    assert callable(sources.load_source) and callable(sources.check_spec)
