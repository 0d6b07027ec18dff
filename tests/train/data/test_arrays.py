"""NumPy .npz and .npy sources: shapes, labels, targets, and files that must be refused."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from data_errors import error_of

from builder.train.data.base import SourceRequest
from builder.train.data.sources import load_source


def request(folder, spec, input_shape=(1, 4, 4), task="classification", output_shape=(3,)) -> SourceRequest:
    return SourceRequest(spec, tuple(input_shape), tuple(output_shape), task, folder)


def npz(folder, input_shape=(1, 4, 4), task="classification", output_shape=(3,), **spec):
    return load_source(request(folder, {"kind": "npz", "path": "d.npz", **spec}, input_shape, task, output_shape))




def npz_error(folder, input_shape=(1, 4, 4), task="classification", output_shape=(3,), **spec) -> str:
    return error_of(request(folder, {"kind": "npz", "path": "d.npz", **spec}, input_shape, task, output_shape))


def test_npz_gives_float_inputs_and_int_labels(tmp_path):
    x = np.random.default_rng(0).normal(size=(10, 1, 4, 4))
    y = np.array([0, 1, 2, 1, 0, 2, 2, 1, 0, 4])
    np.savez(tmp_path / "d.npz", x=x, y=y)
    data = npz(tmp_path)
    xs, ys = data.tensors
    assert xs.dtype == torch.float32 and xs.shape == (10, 1, 4, 4)
    assert torch.allclose(xs, torch.from_numpy(x).float())
    assert ys.dtype == torch.int64 and ys.tolist() == y.tolist()
    assert data.classes == ["0", "1", "2", "3", "4"]
    assert data.description == "npz d.npz: 10 samples of 1×4×4, 5 classes"
    assert data.files == [tmp_path / "d.npz"]
    assert torch.equal(data.dataset[9][0], xs[9]) and data.dataset[9][1].item() == 4


def test_values_are_used_as_stored_not_rescaled(tmp_path):
    x = np.full((2, 1, 4, 4), 255, dtype=np.uint8)
    np.savez(tmp_path / "d.npz", x=x, y=np.array([0, 1]))
    assert npz(tmp_path).tensors[0].max().item() == 255.0


def test_array_names_come_from_the_spec(tmp_path):
    np.savez(tmp_path / "d.npz", images=np.zeros((3, 1, 4, 4)), digits=np.array([1, 0, 1]))
    data = npz(tmp_path, x="images", y="digits")
    assert data.tensors[1].tolist() == [1, 0, 1]


def test_images_without_a_channel_get_one(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.ones((5, 4, 4), dtype=np.float64), y=np.zeros(5, dtype=int))
    assert npz(tmp_path).tensors[0].shape == (5, 1, 4, 4)


def test_channels_last_images_are_turned_channels_first(tmp_path):
    x = np.random.default_rng(1).integers(0, 9, (2, 4, 5, 3)).astype(np.float32)  # N, H, W, C
    np.savez(tmp_path / "d.npz", x=x, y=np.array([0, 1]))
    xs = npz(tmp_path, input_shape=(3, 4, 5)).tensors[0]
    assert xs.shape == (2, 3, 4, 5)
    assert torch.equal(xs[1, 2], torch.from_numpy(x[1, :, :, 2]))


def test_vectors_and_single_values(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.arange(6.0), y=np.array([0, 1, 0, 1, 0, 1]))
    assert npz(tmp_path, input_shape=(1,)).tensors[0].shape == (6, 1)


def test_whole_float_labels_and_column_labels_are_accepted(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((3, 2)), y=np.array([[2.0], [0.0], [1.0]]))
    data = npz(tmp_path, input_shape=(2,))
    assert data.tensors[1].tolist() == [2, 0, 1] and data.tensors[1].dtype == torch.int64


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        (np.array([0, -1, 2]), "d.npz: y has a negative label (-1 at sample 1); class labels count up from 0"),
        (np.array([0.0, 1.5, 2.0]), "d.npz: y has a fractional label (1.5 at sample 1)"),
        (np.eye(3), "d.npz: y holds samples of 3, but classification needs one whole-number label per sample"),
        (np.array([0, 1]), "d.npz: x has 3 samples but y has 2"),
    ],
)
def test_bad_labels_are_named(tmp_path, y, expected):
    np.savez(tmp_path / "d.npz", x=np.zeros((3, 2)), y=y)
    assert expected in npz_error(tmp_path, input_shape=(2,))


def test_one_hot_labels_get_a_hint(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((3, 2)), y=np.eye(3))
    assert "if it is one-hot, save y.argmax(1) instead" in npz_error(tmp_path, input_shape=(2,))


def test_regression_targets_are_reshaped_to_the_output(tmp_path):
    y = np.arange(12, dtype=np.int32).reshape(3, 4)
    np.savez(tmp_path / "d.npz", x=np.zeros((3, 2)), y=y)
    data = npz(tmp_path, input_shape=(2,), task="regression", output_shape=(2, 2))
    assert data.tensors[1].dtype == torch.float32 and data.tensors[1].shape == (3, 2, 2)
    assert data.tensors[1][2].flatten().tolist() == [8.0, 9.0, 10.0, 11.0]
    assert data.classes is None and "targets of 2×2" in data.description


def test_regression_targets_of_the_wrong_size_name_both_shapes(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((3, 2)), y=np.zeros((3, 3)))
    message = npz_error(tmp_path, input_shape=(2,), task="regression", output_shape=(2, 2))
    assert message == "d.npz: y holds samples of 3 but the model's Output gives 2×2"


def test_reconstruction_needs_no_y(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((3, 2)))
    data = npz(tmp_path, input_shape=(2,), task="reconstruction")
    assert data.tensors[1] is None and data.classes is None
    x, target = data.dataset[1]
    assert torch.equal(x, target)


def test_a_missing_array_lists_the_arrays_there(tmp_path):
    np.savez(tmp_path / "d.npz", a=np.zeros(2), b=np.zeros(2))
    assert npz_error(tmp_path, x="a") == "d.npz has no array 'y'; it has: a, b"


def test_the_sample_shape_must_fit_the_input(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 3, 32, 32)), y=np.array([0, 1]))
    message = npz_error(tmp_path, input_shape=(1, 28, 28))
    assert message == "d.npz: x holds samples of 3×32×32 but the model's Input takes 1×28×28"


def test_empty_arrays_are_refused(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((0, 1, 4, 4)), y=np.zeros(0))
    assert npz_error(tmp_path) == "d.npz: x is empty (0×1×4×4)"


def test_nan_inputs_are_refused(tmp_path):
    x = np.zeros((3, 2))
    x[2, 1] = np.nan
    np.savez(tmp_path / "d.npz", x=x, y=np.array([0, 1, 0]))
    assert "d.npz: x holds NaN or infinite values (first in sample 2)" in npz_error(tmp_path, input_shape=(2,))


def test_text_arrays_are_refused(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.array([["a", "b"]]), y=np.array([0]))
    assert npz_error(tmp_path, input_shape=(2,)) == "d.npz: x holds <U1 values, not numbers"


def test_a_missing_file(tmp_path):
    assert npz_error(tmp_path) == "d.npz: no such file"


class _Hostile:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_object_arrays_in_npz_are_refused_without_running_code(tmp_path):
    marker = tmp_path / "pwned"
    hostile = np.array([_Hostile(str(marker))], dtype=object)
    np.savez(tmp_path / "d.npz", x=hostile, y=np.array([0]))
    message = npz_error(tmp_path, input_shape=(1,))
    assert message.startswith("d.npz: array 'x' holds pickled Python objects, which are refused")
    assert not marker.exists()


def test_object_npy_and_plain_pickles_are_refused_without_running_code(tmp_path):
    marker = tmp_path / "pwned"
    np.save(tmp_path / "x.npy", np.array([_Hostile(str(marker))], dtype=object), allow_pickle=True)
    req = request(tmp_path, {"kind": "npy", "x": "x.npy"}, (1,), task="reconstruction")
    assert error_of(req).startswith("x.npy holds pickled Python objects, which are refused")
    (tmp_path / "p.npz").write_bytes(pickle.dumps(_Hostile(str(marker))))
    req = request(tmp_path, {"kind": "npz", "path": "p.npz"}, (1,), task="reconstruction")
    assert error_of(req).startswith("p.npz holds pickled Python objects, which are refused")
    assert not marker.exists()


def test_files_of_the_wrong_kind_say_which_kind_to_use(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((2, 2)))
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 2)))
    assert error_of(request(tmp_path, {"kind": "npz", "path": "x.npy"}, (2,), task="reconstruction")) == (
        "x.npy is not an .npz file; it is an .npy file: use kind 'npy'"
    )
    assert error_of(request(tmp_path, {"kind": "npy", "x": "d.npz"}, (2,), task="reconstruction")) == (
        "d.npz is not an .npy file; it is an .npz archive: use kind 'npz'"
    )
    (tmp_path / "t.npy").write_text("1,2,3")
    assert error_of(request(tmp_path, {"kind": "npy", "x": "t.npy"}, (2,), task="reconstruction")) == (
        "t.npy is not an .npy file"
    )


def test_npy_reads_x_and_y_from_two_files(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((4, 3), dtype=np.float16))
    np.save(tmp_path / "y.npy", np.array([1, 1, 0, 2], dtype=np.uint8))
    data = load_source(request(tmp_path, {"kind": "npy", "x": "x.npy", "y": "y.npy"}, (3,)))
    assert data.tensors[0].dtype == torch.float32 and data.tensors[1].tolist() == [1, 1, 0, 2]
    assert data.classes == ["0", "1", "2"]
    assert data.description == "npy x.npy, y.npy: 4 samples of 3, 3 classes"
    assert data.files == [tmp_path / "x.npy", tmp_path / "y.npy"]


def test_npy_needs_y_except_for_reconstruction(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((4, 3)))
    message = error_of(request(tmp_path, {"kind": "npy", "x": "x.npy"}, (3,)))
    assert message == "npy needs 'y' for classification: the .npy file of labels"
    data = load_source(request(tmp_path, {"kind": "npy", "x": "x.npy"}, (3,), task="reconstruction"))
    assert data.tensors[1] is None


def test_npy_count_mismatch_names_both_files(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((4, 3)))
    np.save(tmp_path / "y.npy", np.zeros(5))
    message = error_of(request(tmp_path, {"kind": "npy", "x": "x.npy", "y": "y.npy"}, (3,)))
    assert message == "x.npy has 4 samples but y.npy has 5"
