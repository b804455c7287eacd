import torch.nn as nn


class DigitsMLP(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64, hidden)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.1)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        return self.fc2(self.drop(self.act(self.fc1(self.flatten(x)))))


def make_model(hidden=64):
    return DigitsMLP(hidden)
