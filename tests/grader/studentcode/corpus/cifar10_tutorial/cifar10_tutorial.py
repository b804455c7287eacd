import torch
import torchvision
import torchvision.transforms as transforms

########################################################################
# Loading the data
# ----------------
# torchvision gives us CIFAR-10 as PIL images with values in [0, 1]; we turn
# them into tensors and shift them to [-1, 1].

transform = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
])
batch_size = 4

trainset = torchvision.datasets.CIFAR10(root='./data', train=True, download=True,
                                        transform=transform)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=batch_size, shuffle=True,
                                          num_workers=2)
testset = torchvision.datasets.CIFAR10(root='./data', train=False, download=True,
                                       transform=transform)
testloader = torch.utils.data.DataLoader(testset, batch_size=batch_size, shuffle=False,
                                         num_workers=2)

classes = ('plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')

########################################################################
# A look at a few training images before we start.

import matplotlib.pyplot as plt
import numpy as np


def show(batch):
    grid = torchvision.utils.make_grid(batch) * 0.5 + 0.5    # back to [0, 1]
    plt.imshow(grid.permute(1, 2, 0).numpy())
    plt.axis('off')
    plt.show()


images, labels = next(iter(trainloader))
show(images)
print(', '.join(classes[int(k)] for k in labels))

########################################################################
# The network
# -----------
# Two convolution + pooling stages and three fully connected layers, for
# 3-channel 32x32 inputs.

import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


net = Net()

########################################################################
# Loss and optimiser: cross-entropy, plain SGD with momentum.

import torch.optim as optim

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

########################################################################
# Training
# --------
# Two passes over the training set; the running loss is printed every
# 2000 mini-batches.

for epoch in range(2):
    running = 0.0
    for i, (inputs, targets) in enumerate(trainloader):
        optimizer.zero_grad()
        loss = criterion(net(inputs), targets)
        loss.backward()
        optimizer.step()

        running += loss.item()
        if (i + 1) % 2000 == 0:
            print(f'epoch {epoch + 1}, batch {i + 1}: loss {running / 2000:.3f}')
            running = 0.0

print('Finished Training')

########################################################################
# Save the weights so that the test below (or a later session) can reload them.

PATH = './cifar_net.pth'
torch.save(net.state_dict(), PATH)

########################################################################
# Accuracy on the 10000 test images.

net = Net()
net.load_state_dict(torch.load(PATH))
correct = total = 0
with torch.no_grad():
    for inputs, targets in testloader:
        predicted = net(inputs).argmax(1)
        total += targets.size(0)
        correct += (predicted == targets).sum().item()

print(f'Accuracy of the network on the 10000 test images: {100 * correct // total} %')
