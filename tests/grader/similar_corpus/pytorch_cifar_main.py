'''Train CIFAR10 with PyTorch (mixed precision, label smoothing, cosine schedule).'''
import argparse
import os

import torch
import torch.backends.cudnn as cudnn
import torch.nn as nn
import torch.optim as optim
import torchvision
import torchvision.transforms as transforms

from models import *
from utils import progress_bar

parser = argparse.ArgumentParser(description='PyTorch CIFAR10 Training')
parser.add_argument('--lr', default=0.05, type=float, help='peak learning rate')
parser.add_argument('--epochs', default=120, type=int)
parser.add_argument('--arch', default='resnet18', choices=['resnet18', 'vgg16', 'mobilenetv2'])
parser.add_argument('--smoothing', default=0.1, type=float, help='label smoothing')
parser.add_argument('--resume', '-r', action='store_true', help='resume from checkpoint')
args = parser.parse_args()

device = 'cuda' if torch.cuda.is_available() else 'cpu'
use_amp = device == 'cuda'
best_acc = 0
start_epoch = 0

print('==> Preparing data..')
mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
transform_train = transforms.Compose([
    transforms.RandomCrop(32, padding=4, padding_mode='reflect'),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize(mean, std),
    transforms.RandomErasing(p=0.25),
])
transform_test = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])

trainset = torchvision.datasets.CIFAR10(root='./data', train=True, download=True,
                                        transform=transform_train)
testset = torchvision.datasets.CIFAR10(root='./data', train=False, download=True,
                                       transform=transform_test)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=128, shuffle=True,
                                          num_workers=4, pin_memory=True, drop_last=True)
testloader = torch.utils.data.DataLoader(testset, batch_size=200, shuffle=False, num_workers=4)

print('==> Building model:', args.arch)
builders = {'resnet18': ResNet18, 'vgg16': lambda: VGG('VGG16'), 'mobilenetv2': MobileNetV2}
net = builders[args.arch]().to(device)
if device == 'cuda':
    net = torch.nn.DataParallel(net)
    cudnn.benchmark = True

if args.resume:
    print('==> Resuming from checkpoint..')
    ckpt = torch.load('./checkpoint/%s.pth' % args.arch, map_location=device)
    net.load_state_dict(ckpt['net'])
    best_acc, start_epoch = ckpt['acc'], ckpt['epoch'] + 1

criterion = nn.CrossEntropyLoss(label_smoothing=args.smoothing)
optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4,
                      nesterov=True)
steps = args.epochs * len(trainloader)
scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps,
                                          pct_start=0.15)
scaler = torch.cuda.amp.GradScaler(enabled=use_amp)


def train(epoch):
    print('\nEpoch: %d / %d' % (epoch + 1, args.epochs))
    net.train()
    seen = hits = 0
    loss_sum = 0.0
    for step, (images, labels) in enumerate(trainloader):
        images = images.to(device, non_blocking=True)
        labels = labels.to(device, non_blocking=True)
        with torch.autocast(device_type='cuda', enabled=use_amp):
            logits = net(images)
            loss = criterion(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()

        loss_sum += loss.item() * labels.size(0)
        hits += (logits.argmax(dim=1) == labels).sum().item()
        seen += labels.size(0)
        progress_bar(step, len(trainloader), 'loss %.3f | acc %.2f%% | lr %.4f'
                     % (loss_sum / seen, 100. * hits / seen, scheduler.get_last_lr()[0]))


def test(epoch):
    global best_acc
    net.eval()
    seen = hits = 0
    with torch.no_grad():
        for step, (images, labels) in enumerate(testloader):
            images, labels = images.to(device), labels.to(device)
            hits += (net(images).argmax(dim=1) == labels).sum().item()
            seen += labels.size(0)
            progress_bar(step, len(testloader), 'acc %.2f%%' % (100. * hits / seen))

    acc = 100. * hits / seen
    if acc > best_acc:
        print('new best %.2f%% (was %.2f%%), saving' % (acc, best_acc))
        os.makedirs('checkpoint', exist_ok=True)
        torch.save({'net': net.state_dict(), 'acc': acc, 'epoch': epoch},
                   './checkpoint/%s.pth' % args.arch)
        best_acc = acc


if __name__ == '__main__':
    for epoch in range(start_epoch, args.epochs):
        train(epoch)
        test(epoch)
    print('best test accuracy: %.2f%%' % best_acc)
