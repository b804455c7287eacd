from .vgg import *
from .lenet import *
from .resnet import *
