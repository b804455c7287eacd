'''VGG variants for CIFAR (32x32 inputs, so one linear layer after the features).'''
import torch
import torch.nn as nn


# numbers are conv widths, 'P' is a 2x2 max-pool
LAYOUTS = {
    'VGG11': [64, 'P', 128, 'P', 256, 256, 'P', 512, 512, 'P', 512, 512, 'P'],
    'VGG13': [64, 64, 'P', 128, 128, 'P', 256, 256, 'P', 512, 512, 'P', 512, 512, 'P'],
    'VGG16': [64, 64, 'P', 128, 128, 'P', 256, 256, 256, 'P',
              512, 512, 512, 'P', 512, 512, 512, 'P'],
    'VGG19': [64, 64, 'P', 128, 128, 'P', 256, 256, 256, 256, 'P',
              512, 512, 512, 512, 'P', 512, 512, 512, 512, 'P'],
}


def conv_stack(layout, channels=3):
    modules = []
    for item in layout:
        if item == 'P':
            modules.append(nn.MaxPool2d(2))
            continue
        modules += [nn.Conv2d(channels, item, 3, padding=1), nn.BatchNorm2d(item),
                    nn.ReLU(inplace=True)]
        channels = item
    return nn.Sequential(*modules)


class VGG(nn.Module):
    def __init__(self, vgg_name):
        super(VGG, self).__init__()
        self.features = conv_stack(LAYOUTS[vgg_name])
        self.classifier = nn.Linear(512, 10)

    def forward(self, x):
        feats = self.features(x)
        return self.classifier(torch.flatten(feats, 1))


if __name__ == '__main__':
    print(VGG('VGG11')(torch.zeros(2, 3, 32, 32)).shape)
