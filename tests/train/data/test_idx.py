"""IDX (MNIST-format) files, raw or gzip, and the ways they go wrong."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch
from data_errors import error_of

from builder.train.data.base import SourceRequest
from builder.train.data.sources import load_source


def write_images(path, images: np.ndarray, gz: bool = True, magic: int = 0x803) -> None:
    n, rows, cols = images.shape
    data = struct.pack(">IIII", magic, n, rows, cols) + images.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if gz else data)


def write_labels(path, labels: np.ndarray, gz: bool = True) -> None:
    data = struct.pack(">II", 0x801, len(labels)) + labels.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if gz else data)


def request(folder, spec, input_shape=(1, 5, 4), task="classification") -> SourceRequest:
    return SourceRequest({"kind": "idx", **spec}, tuple(input_shape), (10,), task, folder)




IMAGES = np.random.default_rng(0).integers(0, 256, (6, 5, 4), dtype=np.uint8)
LABELS = np.array([3, 0, 1, 3, 2, 0], dtype=np.uint8)
SPEC = {"images": "train-images.gz", "labels": "train-labels.gz"}


@pytest.fixture
def mnist(tmp_path):
    write_images(tmp_path / "train-images.gz", IMAGES)
    write_labels(tmp_path / "train-labels.gz", LABELS)
    return tmp_path


def test_images_scale_to_0_1_with_a_channel_and_labels_become_classes(mnist):
    data = load_source(request(mnist, SPEC))
    x, y = data.tensors
    assert x.dtype == torch.float32 and x.shape == (6, 1, 5, 4)
    assert torch.equal(x[:, 0], torch.from_numpy(IMAGES).float() / 255)
    assert y.dtype == torch.int64 and y.tolist() == LABELS.tolist()
    assert data.classes == ["0", "1", "2", "3"]
    assert data.description == "idx train-images.gz: 6 images 1×5×4, 4 classes"
    assert data.files == [mnist / "train-images.gz", mnist / "train-labels.gz"]
    assert data.dataset[4][1].item() == 2


def test_gzip_is_told_by_its_magic_bytes_not_the_name(tmp_path):
    write_images(tmp_path / "train-images.gz", IMAGES, gz=False)  # raw, despite the name
    write_labels(tmp_path / "labels-idx1-ubyte", LABELS, gz=True)  # gzip, without the name
    data = load_source(request(tmp_path, {"images": "train-images.gz", "labels": "labels-idx1-ubyte"}))
    assert torch.equal(data.tensors[0][:, 0], torch.from_numpy(IMAGES).float() / 255)
    assert data.tensors[1].tolist() == LABELS.tolist()


def test_reconstruction_needs_no_labels(tmp_path):
    write_images(tmp_path / "train-images.gz", IMAGES)
    data = load_source(request(tmp_path, {"images": "train-images.gz"}, task="reconstruction"))
    assert data.tensors[1] is None and data.classes is None
    x, target = data.dataset[0]
    assert torch.equal(x, target)


def test_classification_needs_labels(tmp_path):
    write_images(tmp_path / "train-images.gz", IMAGES)
    message = error_of(request(tmp_path, {"images": "train-images.gz"}))
    assert message.startswith("idx needs 'labels' for classification")


def test_a_label_file_given_as_images_is_named_by_its_magic(mnist):
    message = error_of(request(mnist, {"images": "train-labels.gz", "labels": "train-labels.gz"}))
    assert message.startswith("train-labels.gz is not an IDX image file (magic 0x801)")
    message = error_of(request(mnist, {"images": "train-images.gz", "labels": "train-images.gz"}))
    assert message.startswith("train-images.gz is not an IDX label file (magic 0x803)")


def test_a_file_that_is_not_idx_at_all(tmp_path):
    (tmp_path / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n....")
    message = error_of(request(tmp_path, {"images": "x.png"}, task="reconstruction"))
    assert message == "x.png is not an IDX image file (magic 0x89504e47)"
    (tmp_path / "tiny").write_bytes(b"\x00")
    assert "tiny is not an IDX image file" in error_of(request(tmp_path, {"images": "tiny"}, task="reconstruction"))


def test_a_truncated_payload_says_how_much_is_missing(tmp_path):
    data = struct.pack(">IIII", 0x803, 6, 5, 4) + IMAGES.tobytes()[:100]
    (tmp_path / "train-images.gz").write_bytes(gzip.compress(data))
    message = error_of(request(tmp_path, {"images": "train-images.gz"}, task="reconstruction"))
    assert message == "train-images.gz is truncated: expected 120 bytes of images after the header, found 100"


def test_a_truncated_header(tmp_path):
    (tmp_path / "l").write_bytes(struct.pack(">I", 0x801))
    write_images(tmp_path / "i", IMAGES)
    message = error_of(request(tmp_path, {"images": "i", "labels": "l"}))
    assert message == "l is truncated: its header needs 8 bytes, found 4"


def test_a_broken_gzip_is_named(tmp_path):
    good = gzip.compress(struct.pack(">IIII", 0x803, 6, 5, 4) + IMAGES.tobytes())
    (tmp_path / "i.gz").write_bytes(good[: len(good) // 2])
    message = error_of(request(tmp_path, {"images": "i.gz"}, task="reconstruction"))
    assert message.startswith("i.gz: cannot be decompressed (gzip)")


def test_image_and_label_counts_must_agree(tmp_path):
    write_images(tmp_path / "train-images.gz", IMAGES)
    write_labels(tmp_path / "train-labels.gz", LABELS[:4])
    assert error_of(request(tmp_path, SPEC)) == "train-images.gz has 6 images but train-labels.gz has 4 labels"


def test_the_image_size_must_be_the_inputs(mnist):
    message = error_of(request(mnist, SPEC, input_shape=(1, 28, 28)))
    assert message == "train-images.gz holds 1×5×4 images but the model's Input takes 1×28×28"
    assert "the model's Input takes 3×5×4" in error_of(request(mnist, SPEC, input_shape=(3, 5, 4)))


def test_missing_files_are_named(tmp_path):
    assert error_of(request(tmp_path, SPEC)) == "train-images.gz: no such file"
    write_images(tmp_path / "train-images.gz", IMAGES)
    assert error_of(request(tmp_path, SPEC)) == "train-labels.gz: no such file"


def test_an_empty_image_file_holds_no_images(tmp_path):
    write_images(tmp_path / "e", np.zeros((0, 5, 4)))
    assert error_of(request(tmp_path, {"images": "e"}, task="reconstruction")) == "e holds no images"
