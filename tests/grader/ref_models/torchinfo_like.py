"""Models for `grade ref summary` tests: those of torchinfo's test fixtures that need token ids,
several inputs or extra forward arguments, rebuilt layer for layer after
TylerYep/torchinfo tests/fixtures/models.py (MIT licence): LSTMNet, MultipleInputNetDifferentDtypes,
SiameseNets, ScalarNet, PackPaddedLSTM, SimpleRNN and MultiDeviceModel. Same layers and sizes,
same forward; the code is written here, not copied.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


class LSTMNet(nn.Module):
    """Embedding(20, 300) -> 2-layer seq-first LSTM(512) -> Linear to the vocabulary."""

    def __init__(self, vocab_size: int = 20, embed_dim: int = 300, hidden_dim: int = 512,
                 num_layers: int = 2) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.encoder = nn.LSTM(embed_dim, hidden_dim, num_layers=num_layers)
        self.decoder = nn.Linear(hidden_dim, vocab_size)

    def forward(self, x: torch.Tensor):
        out, hidden = self.encoder(self.embedding(x))
        out = self.decoder(out)
        return out.view(-1, out.size(2)), hidden


class MultipleInputNetDifferentDtypes(nn.Module):
    """Two inputs of 300 features, the second given as integers."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1a, self.fc1b = nn.Linear(300, 50), nn.Linear(50, 10)
        self.fc2a, self.fc2b = nn.Linear(300, 50), nn.Linear(50, 10)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        x1 = self.fc1b(F.relu(self.fc1a(x1)))
        x2 = self.fc2b(F.relu(self.fc2a(x2.type(torch.float))))
        return F.log_softmax(torch.cat((x1, x2), 0), dim=1)


class SiameseNets(nn.Module):
    """Two images through one shared conv tower, compared by |a − b|."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 64, 10), nn.Conv2d(64, 128, 7)
        self.conv3, self.conv4 = nn.Conv2d(128, 128, 4), nn.Conv2d(128, 256, 4)
        self.pooling = nn.MaxPool2d(2, 2)
        self.fc1, self.fc2 = nn.Linear(256, 4096), nn.Linear(4096, 1)
        self.dropout = nn.Dropout(0.5)

    def tower(self, x: torch.Tensor) -> torch.Tensor:
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            x = self.pooling(F.relu(conv(x)))
        return self.fc1(x.view(x.size(0), -1))

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        metric = torch.abs(self.tower(x1) - self.tower(x2))
        return torch.sigmoid(self.fc2(self.dropout(metric)))


class ScalarNet(nn.Module):
    """A plain number chooses the layer."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(64, 64, 3, 1, 1)
        self.conv2 = nn.Conv2d(64, 32, 3, 1, 1)

    def forward(self, x: torch.Tensor, scalar: float) -> torch.Tensor:
        return self.conv1(x) if scalar == 5 else self.conv2(x)


class PackPaddedLSTM(nn.Module):
    """Seq-first token ids and their lengths, packed; initial states made with ones."""

    def __init__(self, vocab_size: int = 60, embedding_size: int = 128, output_size: int = 18,
                 hidden_size: int = 32) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.lstm = nn.LSTM(embedding_size, hidden_size, num_layers=1)
        self.hidden2out = nn.Linear(hidden_size, output_size)
        self.dropout_layer = nn.Dropout(p=0.2)

    def forward(self, batch: torch.Tensor, lengths) -> torch.Tensor:
        h = torch.ones(1, batch.size(-1), self.hidden_size, device=batch.device)
        c = torch.ones(1, batch.size(-1), self.hidden_size, device=batch.device)
        _, (ht, _) = self.lstm(pack_padded_sequence(self.embedding(batch), lengths), (h, c))
        return F.log_softmax(self.hidden2out(self.dropout_layer(ht[-1])), dim=1)


class SimpleRNN(nn.Module):
    """An LSTMCell run four times on the same input; random initial states."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTMCell(3, 2)
        self.activation = nn.Tanh()

    def forward(self, token_embedding: torch.Tensor) -> torch.Tensor:
        n = token_embedding.size(0)
        hx = torch.randn(n, 2, device=token_embedding.device)
        cx = torch.randn(n, 2, device=token_embedding.device)
        for _ in range(4):
            hx, cx = self.lstm(token_embedding, (hx, cx))
            hx = self.activation(hx)
        return hx


class MultiDeviceModel(nn.Module):
    """Moves its input with x.to("cpu"): cannot run on the meta device."""

    def __init__(self) -> None:
        super().__init__()
        self.net1, self.relu, self.net2 = nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net2(self.relu(self.net1(x.to("cpu"))).to("cpu"))
