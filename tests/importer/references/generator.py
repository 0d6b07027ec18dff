"""A GAN generator: Linear, a view to a feature map, transposed convolutions and an interpolation."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Generator(nn.Module):
    def __init__(self, latent=32):
        super().__init__()
        self.fc = nn.Linear(latent, 64 * 4 * 4)
        self.bn0 = nn.BatchNorm1d(64 * 4 * 4)
        self.deconv1 = nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.deconv2 = nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1)
        self.out = nn.Conv2d(16, 1, 3, padding=1)

    def forward(self, z):
        x = F.leaky_relu(self.bn0(self.fc(z)), 0.2)
        x = x.view(-1, 64, 4, 4)
        x = F.leaky_relu(self.bn1(self.deconv1(x)), 0.2)
        x = F.relu(self.deconv2(x))
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return torch.tanh(self.out(x))
