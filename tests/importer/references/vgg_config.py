"""A VGG built from a configuration list, as torchvision's make_layers builds it."""

import torch
import torch.nn as nn

CONFIG = [16, "M", 32, 32, "M", 64, 64, "M"]


def make_layers(config, batch_norm=True):
    layers, channels = [], 3
    for v in config:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            conv = nn.Conv2d(channels, v, kernel_size=3, padding=1)
            layers += [conv, nn.BatchNorm2d(v), nn.ReLU(inplace=True)] if batch_norm else [conv, nn.ReLU(inplace=True)]
            channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = make_layers(CONFIG)
        self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
        self.classifier = nn.Sequential(
            nn.Linear(64 * 2 * 2, 128), nn.ReLU(True), nn.Dropout(), nn.Linear(128, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        x = torch.flatten(x, 1)
        return self.classifier(x)
