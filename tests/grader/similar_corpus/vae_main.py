import argparse

import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F
from torchvision import datasets, transforms
from torchvision.utils import save_image

parser = argparse.ArgumentParser(description='variational autoencoder on MNIST')
parser.add_argument('--batch-size', type=int, default=128, metavar='N')
parser.add_argument('--epochs', type=int, default=10, metavar='N')
parser.add_argument('--no-cuda', action='store_true', default=False)
parser.add_argument('--seed', type=int, default=1, metavar='S')
parser.add_argument('--log-interval', type=int, default=10, metavar='N')
args = parser.parse_args()
args.cuda = not args.no_cuda and torch.cuda.is_available()
device = torch.device('cuda' if args.cuda else 'cpu')
torch.manual_seed(args.seed)

LATENT = 20
pin = {'num_workers': 1, 'pin_memory': True} if args.cuda else {}
train_loader = torch.utils.data.DataLoader(
    datasets.MNIST('../data', train=True, download=True, transform=transforms.ToTensor()),
    batch_size=args.batch_size, shuffle=True, **pin)
test_loader = torch.utils.data.DataLoader(
    datasets.MNIST('../data', train=False, transform=transforms.ToTensor()),
    batch_size=args.batch_size, shuffle=False, **pin)


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()
        self.enc = nn.Linear(784, 400)
        self.enc_mu = nn.Linear(400, LATENT)
        self.enc_logvar = nn.Linear(400, LATENT)
        self.dec = nn.Linear(LATENT, 400)
        self.dec_out = nn.Linear(400, 784)

    def encode(self, x):
        h = F.relu(self.enc(x))
        return self.enc_mu(h), self.enc_logvar(h)

    def sample(self, mu, logvar):
        # z = mu + sigma * eps keeps the sampling step differentiable in mu and sigma
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)

    def decode(self, z):
        return torch.sigmoid(self.dec_out(F.relu(self.dec(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        return self.decode(self.sample(mu, logvar)), mu, logvar


model = VAE().to(device)
optimizer = optim.Adam(model.parameters(), lr=1e-3)


def elbo_loss(recon, x, mu, logvar):
    """Reconstruction cross-entropy plus the KL divergence of N(mu, sigma) from N(0, 1),
    both summed over the batch."""
    bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction='sum')
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def train(epoch):
    model.train()
    total = 0.0
    for i, (x, _) in enumerate(train_loader):
        x = x.to(device)
        optimizer.zero_grad()
        recon, mu, logvar = model(x)
        loss = elbo_loss(recon, x, mu, logvar)
        loss.backward()
        total += loss.item()
        optimizer.step()
        if i % args.log_interval == 0:
            print('train epoch %d [%d/%d] loss per image %.4f' % (
                epoch, i * len(x), len(train_loader.dataset), loss.item() / len(x)))
    print('==> epoch %d mean loss %.4f' % (epoch, total / len(train_loader.dataset)))


def test(epoch):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i, (x, _) in enumerate(test_loader):
            x = x.to(device)
            recon, mu, logvar = model(x)
            total += elbo_loss(recon, x, mu, logvar).item()
            if i == 0:
                k = min(x.size(0), 8)
                pairs = torch.cat([x[:k], recon.view(-1, 1, 28, 28)[:k]])
                save_image(pairs.cpu(), 'results/reconstruction_%d.png' % epoch, nrow=k)
    print('==> test loss %.4f' % (total / len(test_loader.dataset)))


for epoch in range(1, args.epochs + 1):
    train(epoch)
    test(epoch)
    with torch.no_grad():
        z = torch.randn(64, LATENT).to(device)
        save_image(model.decode(z).cpu().view(64, 1, 28, 28),
                   'results/sample_%d.png' % epoch)
