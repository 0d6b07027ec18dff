"""Importing PyTorch code written in the styles people write: the project's code has the original's weight
names, loads the original's weights strictly and computes the same outputs; builder check counts the same
parameters."""

from pathlib import Path

import pytest
import torch

from builder.blocks.check import check_model
from builder.compile import build_classes, generate_code
from builder.importer.network import import_network
from builder.importer.source import load_module

REFERENCES = Path(__file__).parent / "references"

CASES = [  # (file, class, one sample's shape, modules the project must have)
    ("tutorial_lenet.py", "Net", [1, 32, 32], []),
    ("torchvision_resnet.py", "ResNet", [3, 32, 32], ["BasicBlock", "BasicBlock2"]),
    ("mobilenet_v2.py", "MobileNetV2", [3, 32, 32], ["ConvBNReLU", "InvertedResidual"]),
    ("vgg_config.py", "VGG", [3, 32, 32], []),
    ("unet.py", "UNet", [1, 32, 32], ["DoubleConv", "Down", "Up"]),
    ("squeeze_excitation.py", "SENet", [3, 16, 16], ["SELayer"]),
    ("dense_block.py", "DenseNet", [3, 16, 16], ["DenseBlock", "DenseLayer"]),
    ("densenet_lists.py", "DenseNet", [3, 16, 16], ["DenseBlock", "DenseLayer", "DenseLayer2"]),
    ("generator.py", "Generator", [32], []),
    ("shuffle_block.py", "ShuffleNet", [3, 16, 16], ["ShuffleUnit"]),
]


def _original(file: str, class_name: str) -> torch.nn.Module:
    torch.manual_seed(1)
    module = load_module(REFERENCES / file, class_name, {}).module
    for buffer in module.buffers():  # running statistics that are not 0 and 1, so that they count
        if buffer.dtype.is_floating_point:
            buffer.uniform_(0.5, 1.5)
    return module.eval()


@pytest.mark.parametrize(("file", "class_name", "shape", "modules"), CASES, ids=[c[0] for c in CASES])
def test_the_generated_code_is_the_original_network(file, class_name, shape, modules, tmp_path):
    original = _original(file, class_name)
    weights = tmp_path / "original.pt"
    torch.save(original.state_dict(), weights)
    imported = import_network(REFERENCES / file, class_name, [shape], weights=weights)
    project = imported.project
    assert project.models[0].name == class_name
    assert all(name in [m.name for m in project.models] for name in modules), [m.name for m in project.models]
    generated = build_classes(generate_code(project))[class_name]()
    assert list(generated.state_dict()) == list(original.state_dict()) or \
        sorted(generated.state_dict()) == sorted(original.state_dict())
    generated.load_state_dict(original.state_dict(), strict=True)
    generated.eval()
    x = torch.randn(3, *shape)
    with torch.no_grad():
        torch.testing.assert_close(generated(x), original(x), rtol=1e-5, atol=1e-5)
    report = check_model(project.models[0], project)
    assert report.ok, report.errors[:3]
    assert report.total_params == sum(p.numel() for p in original.parameters())


def test_a_list_that_is_not_a_pair_stays_a_list(tmp_path):
    """A LayerNorm over 7×7 is normalized_shape [7, 7], not 7 (which would normalize the width alone)."""
    source = tmp_path / "norm.py"
    source.write_text("import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
                      "        super().__init__()\n        self.norm = nn.LayerNorm([7, 7])\n\n"
                      "    def forward(self, x):\n        return self.norm(x).reshape(x.size(0), 4, 49)\n")
    project = import_network(source, "Net", [[4, 7, 7]]).project
    params = {n.id: n.params for n in project.models[0].nodes}
    assert params["norm"] == {"normalized_shape": [7, 7]} and params["reshape1"] == {"shape": [4, 49]}
