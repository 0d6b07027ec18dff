"""ONNX and TorchScript exports reproduce the module, with a dynamic batch dimension."""

import nets
import pytest
import torch
from graphs import project

from builder.blocks.check import check_model
from builder.compile import build_model
from builder.compile.portable import export_onnx, export_torchscript


@pytest.mark.parametrize("name", ["lenet", "unet", "separable_stack"])
def test_torchscript_matches(tmp_path, name):
    graph = nets.ALL[name]()
    model = build_model(project(graph))
    report = check_model(graph)
    shapes = [report.infos[i].shape for i in report.inputs]
    result = export_torchscript(model, shapes, tmp_path / "m.pt")
    assert result.max_difference < 1e-5
    loaded = torch.jit.load(str(tmp_path / "m.pt"))
    assert loaded(torch.randn(7, *shapes[0])).shape[0] == 7


@pytest.mark.parametrize("name", ["lenet", "residual_block", "unet"])
def test_onnx_matches_with_onnxruntime(tmp_path, name):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    graph = nets.ALL[name]()
    model = build_model(project(graph))
    report = check_model(graph)
    shapes = [report.infos[i].shape for i in report.inputs]
    result = export_onnx(model, shapes, tmp_path / "m.onnx", ["x"], ["y"])
    assert result.checker == "onnxruntime" and result.max_difference < 1e-4
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    for batch in (1, 11):  # any batch size
        x = torch.randn(batch, *shapes[0])
        (out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
        torch.testing.assert_close(torch.from_numpy(out), model.eval()(x), atol=1e-4, rtol=1e-4)
