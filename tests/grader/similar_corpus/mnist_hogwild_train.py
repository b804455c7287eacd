"""Worker side of Hogwild training: each process runs its own loop on a model whose parameters
live in shared memory, so the updates of all workers land in the same tensors."""
import os

import torch
import torch.nn.functional as F
import torch.optim as optim
from torchvision import datasets, transforms

MNIST_NORM = transforms.Normalize((0.1307,), (0.3081,))


def mnist_loader(train, batch_size, seed, **loader_kwargs):
    torch.manual_seed(seed)
    data = datasets.MNIST('../data', train=train, download=train,
                          transform=transforms.Compose([transforms.ToTensor(), MNIST_NORM]))
    return torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True,
                                       **loader_kwargs)


def one_epoch(epoch, model, device, loader, optimizer, log_every, dry_run):
    model.train()
    pid = os.getpid()
    for i, (x, y) in enumerate(loader):
        optimizer.zero_grad()
        loss = F.nll_loss(model(x.to(device)), y.to(device))
        loss.backward()
        optimizer.step()
        if i % log_every == 0:
            print('[pid {}] epoch {} batch {}/{} loss {:.5f}'.format(
                pid, epoch, i, len(loader), loss.item()))
            if dry_run:
                return


def evaluate(model, device, loader):
    model.eval()
    loss, right = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x.to(device))
            loss += F.nll_loss(out, y.to(device), reduction='sum').item()
            right += out.argmax(1).eq(y.to(device)).sum().item()
    n = len(loader.dataset)
    print('test: mean loss {:.4f}, {}/{} right ({:.1f}%)'.format(loss / n, right, n,
                                                               100. * right / n))


def train(rank, args, model, device, dataloader_kwargs):
    loader = mnist_loader(True, args.batch_size, args.seed + rank, **dataloader_kwargs)
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    for epoch in range(1, args.epochs + 1):
        one_epoch(epoch, model, device, loader, optimizer, args.log_interval, args.dry_run)


def test(args, model, device, dataloader_kwargs):
    evaluate(model, device, mnist_loader(False, args.test_batch_size, args.seed,
                                         **dataloader_kwargs))
