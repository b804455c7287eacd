import argparse
import os
import shutil
import time

import torch
import torch.nn as nn
import torch.nn.parallel
import torch.backends.cudnn as cudnn
import torch.optim
import torch.utils.data
import torchvision.transforms as transforms
import torchvision.datasets as datasets
import torchvision.models as models
from fp16util import *

# every lower-case callable of torchvision.models is an architecture we can train
model_names = sorted(n for n, f in vars(models).items()
                     if n.islower() and not n.startswith('_') and callable(f))

parser = argparse.ArgumentParser(description='ImageNet training')
parser.add_argument('data', metavar='DIR', help='folder holding train/ and val/')
parser.add_argument('--arch', '-a', default='resnet18', choices=model_names)
parser.add_argument('--workers', '-j', default=4, type=int)
parser.add_argument('--epochs', default=90, type=int)
parser.add_argument('--batch-size', '-b', default=256, type=int)
parser.add_argument('--lr', default=0.1, type=float)
parser.add_argument('--momentum', default=0.9, type=float)
parser.add_argument('--weight-decay', default=1e-4, type=float)
parser.add_argument('--resume', default='', type=str, metavar='PATH')
parser.add_argument('--evaluate', '-e', action='store_true')
parser.add_argument('--fp16', action='store_true', help='half-precision weights, fp32 master copy')

best_prec1 = 0
cudnn.benchmark = True


class Meter(object):
    def __init__(self):
        self.total, self.count = 0.0, 0

    def add(self, value, n=1):
        self.total += value * n
        self.count += n

    @property
    def mean(self):
        return self.total / max(self.count, 1)


def top1(output, target):
    return 100.0 * (output.argmax(1) == target).float().mean().item()


def loaders(args):
    normalize = transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    train_set = datasets.ImageFolder(os.path.join(args.data, 'train'), transforms.Compose([
        transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), normalize]))
    val_set = datasets.ImageFolder(os.path.join(args.data, 'val'), transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), normalize]))
    return (torch.utils.data.DataLoader(train_set, args.batch_size, shuffle=True,
                                        num_workers=args.workers, pin_memory=True),
            torch.utils.data.DataLoader(val_set, args.batch_size, shuffle=False,
                                        num_workers=args.workers, pin_memory=True))


def run_epoch(loader, model, criterion, optimizer=None):
    training = optimizer is not None
    model.train(training)
    losses, prec = Meter(), Meter()
    start = time.time()
    with torch.set_grad_enabled(training):
        for images, target in loader:
            images, target = images.cuda(non_blocking=True), target.cuda(non_blocking=True)
            output = model(images)
            loss = criterion(output, target)
            if training:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            losses.add(loss.item(), images.size(0))
            prec.add(top1(output, target), images.size(0))
    print('%s: loss %.4f prec@1 %.3f (%.0f s)' % ('train' if training else 'val', losses.mean,
                                                 prec.mean, time.time() - start))
    return prec.mean


def save_checkpoint(state, is_best, filename='checkpoint.pth.tar'):
    torch.save(state, filename)
    if is_best:
        shutil.copyfile(filename, 'model_best.pth.tar')


def main():
    global best_prec1
    args = parser.parse_args()
    model = torch.nn.DataParallel(models.__dict__[args.arch]()).cuda()
    criterion = nn.CrossEntropyLoss().cuda()
    optimizer = torch.optim.SGD(model.parameters(), args.lr, momentum=args.momentum,
                                weight_decay=args.weight_decay)
    start_epoch = 0
    if args.resume and os.path.isfile(args.resume):
        saved = torch.load(args.resume)
        start_epoch, best_prec1 = saved['epoch'], saved['best_prec1']
        model.load_state_dict(saved['state_dict'])
        optimizer.load_state_dict(saved['optimizer'])
    train_loader, val_loader = loaders(args)
    if args.evaluate:
        run_epoch(val_loader, model, criterion)
        return
    for epoch in range(start_epoch, args.epochs):
        for group in optimizer.param_groups:           # step decay: /10 every 30 epochs
            group['lr'] = args.lr * (0.1 ** (epoch // 30))
        run_epoch(train_loader, model, criterion, optimizer)
        prec1 = run_epoch(val_loader, model, criterion)
        is_best = prec1 > best_prec1
        best_prec1 = max(prec1, best_prec1)
        save_checkpoint({
            'epoch': epoch + 1,
            'arch': args.arch,
            'state_dict': model.state_dict(),
            'best_prec1': best_prec1,
            'optimizer': optimizer.state_dict(),
        }, is_best)


if __name__ == '__main__':
    main()
