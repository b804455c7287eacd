'''CIFAR-10 training with PyTorch, plus an optional one-shot magnitude pruning pass.'''
import torch
import torch.nn as nn
import torch.optim as optim
import torch.nn.functional as F
import torch.backends.cudnn as cudnn

import torchvision
import torchvision.transforms as transforms

import torch.nn.utils.prune as prune
from prune_params import prunable_weights, report_sparsity
import os
import argparse

from models import *
from utils import progress_bar

parser = argparse.ArgumentParser(description='CIFAR10 training')
parser.add_argument('--lr', default=0.1, type=float, help='initial learning rate')
parser.add_argument('--epochs', default=200, type=int, help='epochs to run')
parser.add_argument('--resume', '-r', action='store_true',
                    help='continue from ./checkpoint/ckpt.pth')
parser.add_argument('--prune', action='store_true',
                    help='prune 90%% of the weights of a trained checkpoint, then fine-tune')
args = parser.parse_args()

device = 'cuda' if torch.cuda.is_available() else 'cpu'
best_acc = 0        # best test accuracy so far
start_epoch = 0     # changed by --resume

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2023, 0.1994, 0.2010)

print('==> Preparing data..')
train_tf = transforms.Compose([
    transforms.RandomCrop(32, padding=4),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize(CIFAR_MEAN, CIFAR_STD),
])
test_tf = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize(CIFAR_MEAN, CIFAR_STD),
])

trainset = torchvision.datasets.CIFAR10(root='./data', train=True, download=True,
                                        transform=train_tf)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=128, shuffle=True,
                                          num_workers=2)
testset = torchvision.datasets.CIFAR10(root='./data', train=False, download=True,
                                       transform=test_tf)
testloader = torch.utils.data.DataLoader(testset, batch_size=100, shuffle=False,
                                         num_workers=2)

classes = ('plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')

print('==> Building model..')
# net = VGG('VGG16')
# net = LeNet()
net = ResNet18()
net = net.to(device)
if device == 'cuda':
    net = torch.nn.DataParallel(net)
    cudnn.benchmark = True


def load_checkpoint(path='./checkpoint/ckpt.pth'):
    global best_acc, start_epoch
    assert os.path.isdir('checkpoint'), 'no checkpoint/ folder: train first'
    saved = torch.load(path)
    net.load_state_dict(saved['net'])
    best_acc = saved['acc']
    start_epoch = saved['epoch'] + 1


if args.resume or args.prune:
    print('==> Resuming from checkpoint..')
    load_checkpoint()

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)


def run_batches(loader, training):
    total_loss, correct, seen = 0.0, 0, 0
    for i, (x, y) in enumerate(loader):
        x, y = x.to(device), y.to(device)
        if training:
            optimizer.zero_grad()
        logits = net(x)
        loss = criterion(logits, y)
        if training:
            loss.backward()
            optimizer.step()
        total_loss += loss.item()
        correct += logits.argmax(1).eq(y).sum().item()
        seen += y.size(0)
        progress_bar(i, len(loader), 'Loss: %.3f | Acc: %.2f%% (%d/%d)'
                     % (total_loss / (i + 1), 100. * correct / seen, correct, seen))
    return 100. * correct / seen


def train(epoch):
    print('\nEpoch: %d' % epoch)
    net.train()
    run_batches(trainloader, training=True)


def test(epoch):
    global best_acc
    net.eval()
    with torch.no_grad():
        acc = run_batches(testloader, training=False)
    if acc <= best_acc:
        return
    print('Saving..')
    state = {
        'net': net.state_dict(),
        'acc': acc,
        'epoch': epoch,
    }
    os.makedirs('checkpoint', exist_ok=True)
    torch.save(state, './checkpoint/ckpt.pth')
    best_acc = acc


if __name__ == '__main__':
    if args.prune:
        prune.global_unstructured(prunable_weights(net), pruning_method=prune.L1Unstructured,
                                  amount=0.9)
        report_sparsity(net)
    for epoch in range(start_epoch, start_epoch + args.epochs):
        train(epoch)
        test(epoch)
        scheduler.step()
    if args.prune:
        for module, name in prunable_weights(net):
            prune.remove(module, name)      # bake the masks into the weights
        report_sparsity(net)
