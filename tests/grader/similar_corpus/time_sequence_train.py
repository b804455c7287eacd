"""Learn to continue sine waves with two stacked LSTM cells, optimised with L-BFGS; after every
step the model also extrapolates 1000 points past the end and the curves are saved as PDF."""
import argparse

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


def make_waves(n=100, length=1000, period=20, seed=2):
    rng = np.random.RandomState(seed)
    shifts = rng.randint(-4 * period, 4 * period, n).reshape(n, 1)
    t = np.arange(length) + shifts
    return np.sin(t / period).astype('float64')


class Sequence(nn.Module):
    def __init__(self, hidden=51):
        super().__init__()
        self.hidden = hidden
        self.cell1 = nn.LSTMCell(1, hidden)
        self.cell2 = nn.LSTMCell(hidden, hidden)
        self.head = nn.Linear(hidden, 1)

    def _zeros(self, batch):
        return torch.zeros(batch, self.hidden, dtype=torch.double)

    def forward(self, seq, future=0):
        batch = seq.size(0)
        h1, c1, h2, c2 = (self._zeros(batch) for _ in range(4))
        preds = []
        y = None
        for x_t in seq.split(1, dim=1):
            h1, c1 = self.cell1(x_t, (h1, c1))
            h2, c2 = self.cell2(h1, (h2, c2))
            y = self.head(h2)
            preds.append(y)
        for _ in range(future):          # feed the prediction back in
            h1, c1 = self.cell1(y, (h1, c1))
            h2, c2 = self.cell2(h1, (h2, c2))
            y = self.head(h2)
            preds.append(y)
        return torch.cat(preds, dim=1)


def plot(pred, known, step):
    plt.figure(figsize=(24, 8))
    plt.title('step %d: dashed = extrapolated' % step)
    for row, colour in zip(pred[:3], 'rgb'):
        plt.plot(np.arange(known), row[:known], colour, linewidth=2.0)
        plt.plot(np.arange(known, len(row)), row[known:], colour + ':', linewidth=2.0)
    plt.savefig('predict%d.pdf' % step)
    plt.close()


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=15)
    opt = ap.parse_args()
    np.random.seed(0)
    torch.manual_seed(0)

    waves = torch.from_numpy(make_waves())
    train_in, train_out = waves[3:, :-1], waves[3:, 1:]
    test_in, test_out = waves[:3, :-1], waves[:3, 1:]

    model = Sequence().double()
    loss_fn = nn.MSELoss()
    lbfgs = optim.LBFGS(model.parameters(), lr=0.8)

    for step in range(opt.steps):
        def closure():
            lbfgs.zero_grad()
            loss = loss_fn(model(train_in), train_out)
            print('step %d train loss %.6f' % (step, loss.item()))
            loss.backward()
            return loss
        lbfgs.step(closure)

        ahead = 1000
        with torch.no_grad():
            pred = model(test_in, future=ahead)
            err = loss_fn(pred[:, :-ahead], test_out)
        print('step %d test loss %.6f' % (step, err.item()))
        plot(pred.numpy(), test_in.size(1), step)
