"""Squeeze-and-excitation blocks: a channel scale from pooled features, broadcast over the map (`x * y`)."""

import torch
import torch.nn as nn


class SELayer(nn.Module):
    def __init__(self, channel, reduction=4):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(channel, channel // reduction, bias=False),
            nn.ReLU(inplace=True),
            nn.Linear(channel // reduction, channel, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x):
        b, c, _, _ = x.size()
        y = self.avg_pool(x).view(b, c)
        y = self.fc(y).view(b, c, 1, 1)
        return x * y.expand_as(x)


class SENet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.se1 = SELayer(16)
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.se2 = SELayer(32)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = self.se1(self.conv1(x).relu())
        x = self.se2(torch.relu(self.conv2(x)))
        return self.fc(self.pool(x).flatten(1))

