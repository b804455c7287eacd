"""MNIST read row by row: an LSTM sees the 28 rows of an image as a sequence of 28 pixel
vectors, and its last output classifies the digit."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torchvision import datasets, transforms


class Net(nn.Module):
    def __init__(self, hidden=64):
        super(Net, self).__init__()
        self.rnn = nn.LSTM(input_size=28, hidden_size=hidden, batch_first=True)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(0.25)
        self.fc1 = nn.Linear(hidden, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, images):
        rows = images.reshape(-1, 28, 28)       # (batch, time = row, features = pixels)
        seq, _ = self.rnn(rows)
        last = self.bn(seq[:, -1, :])
        h = self.drop(F.relu(self.fc1(last)))
        return F.log_softmax(self.fc2(h), dim=1)


def fit_epoch(model, device, loader, optimizer, epoch, log_interval, dry_run):
    model.train()
    for batch, (x, y) in enumerate(loader):
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        optimizer.step()
        if batch % log_interval == 0:
            print(f'epoch {epoch} batch {batch:4d}/{len(loader)} nll {loss.item():.4f}')
            if dry_run:
                break


def score(model, device, loader):
    model.eval()
    nll, hits = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logp = model(x)
            nll += F.nll_loss(logp, y, reduction='sum').item()
            hits += int((logp.argmax(1) == y).sum())
    size = len(loader.dataset)
    print(f'test: nll {nll / size:.4f}  accuracy {hits}/{size} = {100.0 * hits / size:.2f}%')


def parse():
    ap = argparse.ArgumentParser(description='MNIST with an LSTM over rows')
    ap.add_argument('--batch-size', type=int, default=64)
    ap.add_argument('--test-batch-size', type=int, default=1000)
    ap.add_argument('--epochs', type=int, default=14)
    ap.add_argument('--lr', type=float, default=0.1)
    ap.add_argument('--gamma', type=float, default=0.7)
    ap.add_argument('--cuda', action='store_true', default=False)
    ap.add_argument('--dry-run', action='store_true', default=False)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--log-interval', type=int, default=10)
    ap.add_argument('--save-model', action='store_true', default=False)
    return ap.parse_args()


def main():
    args = parse()
    device = torch.device('cuda' if args.cuda and torch.cuda.is_available() else 'cpu')
    torch.manual_seed(args.seed)
    prep = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_loader = torch.utils.data.DataLoader(
        datasets.MNIST('../data', train=True, download=True, transform=prep),
        batch_size=args.batch_size, shuffle=True)
    test_loader = torch.utils.data.DataLoader(
        datasets.MNIST('../data', train=False, transform=prep),
        batch_size=args.test_batch_size, shuffle=False)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    schedule = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        fit_epoch(model, device, train_loader, optimizer, epoch, args.log_interval, args.dry_run)
        score(model, device, test_loader)
        schedule.step()
    if args.save_model:
        torch.save(model.state_dict(), 'mnist_rnn.pt')


if __name__ == '__main__':
    main()
