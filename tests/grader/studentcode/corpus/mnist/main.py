import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torchvision import datasets, transforms
from torch.optim.lr_scheduler import StepLR


class Net(nn.Module):
    # 两层卷积 + 两层全连接：28x28 -> 26 -> 24 -> 池化后 12，64 个通道，共 9216 维
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.drop_conv = nn.Dropout(0.25)
        self.drop_fc = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = self.drop_conv(F.max_pool2d(x, 2))
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        x = self.fc2(self.drop_fc(x))
        return F.log_softmax(x, dim=1)  # 输出对数概率，配合 nll_loss 使用


def get_args():
    p = argparse.ArgumentParser(description='MNIST 手写数字识别')
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--test-batch-size', type=int, default=1000)
    p.add_argument('--epochs', type=int, default=5)
    p.add_argument('--lr', type=float, default=1.0)
    p.add_argument('--gamma', type=float, default=0.7, help='每个 epoch 学习率乘以 gamma')
    p.add_argument('--no-cuda', action='store_true', default=False)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--log-interval', type=int, default=50)
    p.add_argument('--save-model', action='store_true', default=False)
    return p.parse_args()


def train(args, model, device, loader, optimizer, epoch):
    model.train()  # 训练模式：启用 dropout
    for step, (images, labels) in enumerate(loader):
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = F.nll_loss(model(images), labels)
        loss.backward()
        optimizer.step()
        if step % args.log_interval == 0:
            done = step * len(images)
            print('epoch {} [{}/{}]  loss {:.4f}'.format(epoch, done, len(loader.dataset),
                                                         loss.item()))


def test(model, device, loader):
    model.eval()  # 评估模式：关闭 dropout
    loss_sum, hits = 0.0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            out = model(images)
            loss_sum += F.nll_loss(out, labels, reduction='sum').item()
            hits += (out.argmax(dim=1) == labels).sum().item()
    n = len(loader.dataset)
    print('测试集: 平均损失 {:.4f}, 准确率 {}/{} ({:.2f}%)'.format(loss_sum / n, hits, n,
                                                           100. * hits / n))
    return 100. * hits / n


def main():
    args = get_args()
    use_cuda = not args.no_cuda and torch.cuda.is_available()
    device = torch.device('cuda' if use_cuda else 'cpu')
    torch.manual_seed(args.seed)

    # MNIST 的均值和标准差
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST('../data', train=True, download=True, transform=tf)
    test_set = datasets.MNIST('../data', train=False, transform=tf)
    extra = {'num_workers': 1, 'pin_memory': True} if use_cuda else {}
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=args.batch_size,
                                               shuffle=True, **extra)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=args.test_batch_size,
                                              **extra)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test(model, device, test_loader)
        scheduler.step()

    if args.save_model:
        torch.save(model.state_dict(), 'mnist_cnn.pt')  # 只保存参数，不保存整个模型


if __name__ == '__main__':
    main()
