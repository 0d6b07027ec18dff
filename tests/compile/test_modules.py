"""Modules inside modules: one class per model, hierarchical state_dict keys, hand-written equivalents."""

import modules_nets as nets
import torch
from torch import nn

from builder.compile import build_classes, generate_code


class HandBasicBlock(nn.Module):
    def __init__(self, planes):
        super().__init__()
        self.conv1 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(out + x)


class HandDownBlock(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.proj = nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False)
        self.proj_bn = nn.BatchNorm2d(planes)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(out + self.proj_bn(self.proj(x)))


class HandResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.relu = nn.ReLU()
        self.layer1 = nn.Sequential(HandBasicBlock(16), HandBasicBlock(16))
        self.layer2 = nn.Sequential(HandDownBlock(16, 32, 2), HandBasicBlock(32))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.layer2(self.layer1(self.relu(self.stem(x))))
        return self.fc(self.flat(self.pool(x)))


def _randomized(module: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    for buffer in module.buffers():
        if buffer.dtype.is_floating_point:
            buffer.uniform_(0.5, 1.5)
    return module


def test_generated_resnet_equals_the_hand_written_one():
    code = generate_code(nets.small_resnet())
    ours = build_classes(code)["ResNet"]()
    hand = _randomized(HandResNet())
    assert list(ours.state_dict()) == list(hand.state_dict())  # layer1.0.conv1.weight, as written by hand
    assert "layer1.0.conv1.weight" in ours.state_dict()
    ours.load_state_dict(hand.state_dict(), strict=True)
    x = torch.randn(2, 3, 16, 16)
    for mode in ("train", "eval"):
        getattr(ours, mode)(), getattr(hand, mode)()
        assert torch.allclose(ours(x), hand(x), atol=1e-6)


def test_one_class_per_model_used_ones_first_and_numbered_chains_are_sequential():
    source = generate_code(nets.small_resnet()).source
    assert source.index("class BasicBlock") < source.index("class DownBlock") < source.index("class ResNet")
    assert "def __init__(self, planes=16):" in source
    assert "self.layer1 = nn.Sequential(" in source
    assert "BasicBlock(planes=32)," in source
    assert "x = self.layer2(x)" in source
    assert "stride=stride" in source  # a module parameter is an __init__ argument in the code


def test_channels_that_differ_between_uses_become_an_argument():
    project = nets.small_resnet()
    top = project.models[0]
    # DownBlock used with 16 and with 32 channels coming in
    top.node("layer1.1").type, top.node("layer1.1").params = "DownBlock", {"planes": 16, "stride": 1}
    top.node("layer2.1").type, top.node("layer2.1").params = "DownBlock", {"planes": 64, "stride": 1}
    code = generate_code(project)
    assert "def __init__(self, in_channels=16, planes=32, stride=2):" in code.source
    assert "DownBlock(32, planes=64, stride=1)," in code.source
    model = build_classes(code)["ResNet"]()
    assert model(torch.randn(1, 3, 16, 16)).shape == (1, 10)


def test_a_module_with_two_inputs_and_two_outputs():
    code = generate_code(nets.two_port_project())
    assert "merged, side = self.up(out, x)" in code.source
    assert "def forward(self, low, skip):" in code.source
    net = build_classes(code)["Net"]()
    assert net(torch.randn(2, 4, 8, 8)).shape == (2, 1, 8, 8)
    assert "up.conv.weight" in net.state_dict()


def test_a_parameter_left_at_its_default_is_a_literal_not_a_module_parameter_of_the_same_value():
    """conv1's groups and dilation are 1 by default, as the module's stride is: the code must not say
    `groups=stride` (only values the wires give, in_channels, are explained by a module parameter)."""
    project = nets.small_resnet()
    block = project.model("DownBlock")
    block.params = [nets.ModuleParam("planes", "int", 32, min=1), nets.ModuleParam("stride", "int", 1, min=1)]
    project.model("ResNet").node("layer2.0").params = {"planes": 32, "stride": 1}
    source = generate_code(project).source
    down = source[source.index("class DownBlock"):source.index("class", source.index("class DownBlock") + 5)]
    assert "stride=stride" in down and "groups=" not in down and "dilation=" not in down


def test_a_calculation_in_forward_reads_a_module_parameter_from_an_attribute():
    """A Mean's keepdim linked to the module's `keep`: forward cannot see __init__'s names, so the class keeps it
    (self.keep = keep) and forward reads self.keep; without that, training would fail with a NameError."""
    pooled = nets.model("Pooled", [("x", "Input", {"shape": [8, 4, 4]}),
                                   ("mean", "Mean", {"dim": [2, 3], "keepdim": nets.ref("keep")}), ("out", "Output")])
    pooled.params = [nets.ModuleParam("keep", "bool", True)]
    top = nets.model("Net", [("x", "Input", {"shape": [8, 4, 4]}), ("a", "Pooled", {"keep": False}),
                             ("b", "Pooled"), ("flat", "Output"), ("kept", "Output")])
    top.edges = [nets.Edge("x", "a"), nets.Edge("x", "b"), nets.Edge("a", "flat"), nets.Edge("b", "kept")]
    code = generate_code(nets.Project(models=[top, pooled]))
    assert "self.keep = keep" in code.source and "keepdim=self.keep" in code.source
    flat, kept = build_classes(code)["Net"]()(torch.randn(2, 8, 4, 4))
    assert flat.shape == (2, 8) and kept.shape == (2, 8, 1, 1)
