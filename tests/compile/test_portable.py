"""torch.export (.pt2), ONNX and TorchScript exports reproduce the module, with a dynamic batch dimension."""

import nets
import pytest
import torch
from graphs import project

from builder.blocks.check import check_model
from builder.compile import build_model
from builder.compile.portable import ExportError, export_onnx, export_pt2, export_torchscript


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


@pytest.mark.parametrize("name", ["lenet", "residual_block", "unet", "separable_stack"])
def test_pt2_loads_back_and_takes_any_batch_size(tmp_path, name):
    graph = nets.ALL[name]()
    model = build_model(project(graph))
    report = check_model(graph)
    shapes = [report.infos[i].shape for i in report.inputs]
    result = export_pt2(model, shapes, tmp_path / "m.pt2")
    assert result.checker == "torch.export.load" and result.max_difference < 1e-5
    loaded = torch.export.load(str(tmp_path / "m.pt2")).module()
    for batch in (1, 13):
        x = torch.randn(batch, *shapes[0])
        torch.testing.assert_close(loaded(x), model.eval()(x))


class FixedBatch(torch.nn.Module):
    def forward(self, x):
        return x.reshape(2, -1)  # a hand-written model that only takes batches of two


def test_pt2_refusal_says_why_in_one_line_and_writes_nothing(tmp_path):
    with pytest.raises(ExportError) as caught:
        export_pt2(FixedBatch(), [(3, 4)], tmp_path / "m.pt2")
    message = str(caught.value)
    assert "batch size at 2" in message and "\n" not in message and len(message) < 300
    assert not (tmp_path / "m.pt2").exists()
