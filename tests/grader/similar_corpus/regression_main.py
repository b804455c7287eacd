#!/usr/bin/env python
"""Fit a random cubic polynomial with a single linear layer on the features x, x^2, x^3."""
import torch
import torch.nn.functional as F

DEGREE = 3
true_w = torch.randn(DEGREE, 1) * 5
true_b = torch.randn(1) * 5


def features(x):
    """Columns [x, x^2, ..., x^DEGREE] for a vector of inputs."""
    x = x.unsqueeze(1)
    return torch.cat([x ** k for k in range(1, DEGREE + 1)], 1)


def target(x):
    return x.mm(true_w) + true_b.item()


def describe(w, b):
    terms = ' '.join('{:+.2f} x^{}'.format(c, k) for k, c in enumerate(w.view(-1).tolist(), 1))
    return 'y = {}{:+.2f}'.format(terms, b[0])


def sample(n=32):
    x = features(torch.randn(n))
    return x, target(x)


layer = torch.nn.Linear(DEGREE, 1)
step = 0
while True:
    xs, ys = sample()
    layer.zero_grad()
    loss = F.smooth_l1_loss(layer(xs), ys)
    loss.backward()
    with torch.no_grad():
        for p in layer.parameters():
            p -= 0.1 * p.grad
    step += 1
    if loss.item() < 1e-3:
        break

print('stopped after {} batches, loss {:.6f}'.format(step, loss.item()))
print('learned: ', describe(layer.weight.view(-1), layer.bias))
print('actual:  ', describe(true_w.view(-1), true_b))
