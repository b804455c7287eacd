"""Digits classifier: a two-layer MLP on the 8x8 scikit-learn digits."""
import torch.nn as nn


class DigitsMLP(nn.Module):
    def __init__(self, hidden: int = 64, classes: int = 10) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64, hidden)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.1)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc2(self.drop(self.act(self.fc1(self.flatten(x)))))


def make_model(hidden: int = 64) -> nn.Module:
    return DigitsMLP(hidden)
