"""Generated modules against hand-written PyTorch: same parameters, same outputs after copying weights."""

import nets
import pytest
import torch
import torch.nn.functional as F
from graphs import project
from torch import nn

from builder.blocks.check import check_model
from builder.compile import build_model


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class ResidualBlock(nn.Module):
    def __init__(self, c=16):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + x)


class TinyUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Conv2d(3, 8, 3, padding=1)
        self.enc2 = nn.Conv2d(8, 16, 3, padding=1)
        self.dec = nn.Conv2d(24, 8, 3, padding=1)
        self.head = nn.Conv2d(8, 1, 1)

    def forward(self, x):
        e1 = F.relu(self.enc1(x))
        e2 = F.relu(self.enc2(F.max_pool2d(e1, 2)))
        up = F.interpolate(e2, scale_factor=2, mode="bilinear", align_corners=False)
        return self.head(F.relu(self.dec(torch.cat([up, e1], dim=1))))


class Generator(nn.Module):
    def __init__(self, nz=64):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, 128, 4, 1, 0, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
            nn.ConvTranspose2d(64, 1, 4, 2, 1, bias=False), nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class SeparableStack(nn.Module):
    def __init__(self):
        super().__init__()
        self.dw1 = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw1 = nn.Conv2d(8, 16, 1)
        self.dw2 = nn.Conv2d(16, 32, 3, stride=2, padding=1, groups=16)
        self.group = nn.Conv2d(32, 32, 3, padding=1, groups=4)
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        x = F.relu(self.pw1(self.dw1(x)))
        x = F.relu(self.group(self.dw2(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


CASES = [
    (nets.lenet, LeNet, (1, 28, 28)),
    (nets.residual_block, ResidualBlock, (16, 8, 8)),
    (nets.unet, TinyUNet, (3, 32, 32)),
    (nets.dcgan_generator, Generator, (64, 1, 1)),
    (nets.separable_stack, SeparableStack, (8, 16, 16)),
]


@pytest.mark.parametrize(("graph", "reference", "shape"), CASES, ids=[c[1].__name__ for c in CASES])
def test_generated_module_matches_hand_written(graph, reference, shape):
    torch.manual_seed(0)
    hand = reference()
    generated = build_model(project(graph()))
    hand_state, gen_state = hand.state_dict(), generated.state_dict()
    assert [t.shape for t in gen_state.values()] == [t.shape for t in hand_state.values()]
    # Same registration order, so weights copy across position by position.
    generated.load_state_dict(dict(zip(gen_state, hand_state.values())))

    count = sum(p.numel() for p in hand.parameters())
    assert sum(p.numel() for p in generated.parameters()) == count
    report = check_model(graph())
    assert report.total_params == count

    x = torch.randn(4, *shape)
    for mode in ("train", "eval"):
        getattr(hand, mode)()
        getattr(generated, mode)()
        expected, actual = hand(x), generated(x)
        assert actual.shape == expected.shape
        assert tuple(actual.shape[1:]) == report.infos[report.outputs[0]].shape
        torch.testing.assert_close(actual, expected)
