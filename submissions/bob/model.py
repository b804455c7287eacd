import torch
import torch.nn as nn


# my MLP for the digits (8x8 images -> 10 classes)
class Net(nn.Module):
    def __init__(self, hidden=64):
        super(Net, self).__init__()
        self.fc1 = nn.Linear(8 * 8, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = torch.relu(self.fc1(x))
        return self.fc2(x)


def make_model(hidden=64):
    return Net(hidden)
