"""The network definition, kept in its own file (imported by split_model_softmax_ce.py)."""
import torch.nn as nn


class ConvNet(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16, classes), nn.Softmax(dim=1))

    def forward(self, x):
        return self.head(self.features(x))
