"""Everything is checked before the first step, with one clear line per problem."""

import numpy as np
import pytest
import torch
from graphs import chain
from projects import autoencoder, cnn, shapes_project

from builder.compile import build_classes
from builder.train.setup import SetupError, prepare


def problems(project):
    with pytest.raises(SetupError) as caught:
        prepare(project)
    return caught.value.problems


def test_output_features_must_match_the_classes():
    (problem,) = problems(shapes_project(cnn(classes=5)))
    assert problem == ("Output 'out' (from 'fc') has 5 features but the data has 4 classes: "
                       "set fc's out_features to 4")


def test_loss_must_fit_the_task():
    (problem,) = problems(shapes_project(autoencoder(), data={"task": "reconstruction"},
                                         training={"loss": "CrossEntropyLoss"}))
    assert problem.startswith("training.loss: CrossEntropyLoss needs class labels but the task is reconstruction")


def test_reconstruction_needs_the_input_shape():
    model = chain("AE", [1, 16, 16], [("c", "Conv2d", {"out_channels": 2, "kernel_size": 1})])
    (problem,) = problems(shapes_project(model, data={"task": "reconstruction"}))
    assert problem == ("AE/out: the Output (from 'c') gives 2×16×16 per sample but the input is 1×16×16: "
                       "reconstruction needs the same shape")


def test_binary_output_needs_two_classes():
    (problem,) = problems(shapes_project(cnn(classes=1), training={"loss": "BCEWithLogitsLoss"}))
    assert "gives 1 value per sample, which fits 2 classes, but the data has 4" in problem


def test_graph_problems_and_settings_problems_are_reported_with_their_place():
    broken = chain("Net", [1, 16, 16], [("fc", "Linear", {"in_features": 3, "out_features": 4})])
    assert problems(shapes_project(broken)) == ["Net/fc: expects 3 input features but its input has 16"]
    assert problems(shapes_project(training={"epochs": 0})) == ["training.epochs: must be at least 1, got 0"]
    assert problems(shapes_project(training={"model": "Nope"}))[0].startswith("training.model: no model named 'Nope'")


def test_missing_data_is_named(tmp_path):
    (problem,) = problems(shapes_project(data={"source": {"kind": "npz", "path": str(tmp_path / "none.npz")}}))
    assert problem == f"data.source.path: {tmp_path / 'none.npz'} does not exist"


def test_cuda_asked_for_where_there_is_none():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    (problem,) = problems(shapes_project(training={"device": "cuda"}))
    assert problem.startswith("training.device: device 'cuda': no CUDA GPU is available here")


def test_lints_come_with_the_run():
    model = chain("Net", [1, 16, 16], [("f", "Flatten"), ("fc", "Linear", {"out_features": 4}), ("sm", "Softmax")])
    run = prepare(shapes_project(model))
    assert [w.node for w in run.warnings] == ["sm"]


def test_normalization_travels_with_the_exported_code(tmp_path):
    x = (np.random.default_rng(0).random((64, 6)) * 50 + 100).astype(np.float32)
    y = (x[:, 0] > 125).astype(np.int64)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    model = chain("Net", [6], [("fc", "Linear", {"out_features": 2})])
    project = shapes_project(model, data={"source": {"kind": "npz", "path": "d.npz"}, "normalize": True})
    project.path = tmp_path / "p.json"
    run = prepare(project)
    mean, std = run.normalization
    train = torch.from_numpy(x)[run.split.train]
    assert torch.allclose(torch.tensor(mean), train.mean(0).double().float(), atol=1e-4)  # training split only
    assert "register_buffer" in run.code.source and "normalized as in training" in run.code.source
    exported = build_classes(run.code)["Net"]()
    model = run.new_model()
    raw = torch.from_numpy(x[:4])
    expected = model.fc((raw - torch.tensor(mean)) / torch.tensor(std))
    torch.testing.assert_close(model(raw), expected)
    exported.load_state_dict(model.state_dict())
    torch.testing.assert_close(exported(raw), model(raw))
