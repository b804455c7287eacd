'''Helpers handed out with the homework (you do not need to change this file).

    - get_mean_and_std: per-channel mean and std of a dataset, for transforms.Normalize
    - init_params: the initialisation used in the lectures
    - progress_bar: a one-line progress bar with timing, like Keras prints
    - format_time: seconds as a short string such as 1h2m or 3s120ms
'''
import shutil
import sys
import time

import torch
import torch.nn as nn
import torch.nn.init as init


def get_mean_and_std(dataset):
    '''Mean and standard deviation of every colour channel over the whole dataset.'''
    loader = torch.utils.data.DataLoader(dataset, batch_size=1, shuffle=False, num_workers=2)
    mean = torch.zeros(3)
    std = torch.zeros(3)
    print('==> computing mean and std..')
    for images, _ in loader:
        for c in range(3):
            mean[c] += images[:, c, :, :].mean()
            std[c] += images[:, c, :, :].std()
    return mean / len(dataset), std / len(dataset)


def init_params(net):
    '''Kaiming for convolutions, ones/zeros for batch norm, small normal for linear layers.'''
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            init.kaiming_normal_(m.weight, mode='fan_out')
            if m.bias is not None:
                init.constant_(m.bias, 0)
        elif isinstance(m, nn.BatchNorm2d):
            init.constant_(m.weight, 1)
            init.constant_(m.bias, 0)
        elif isinstance(m, nn.Linear):
            init.normal_(m.weight, std=1e-3)
            if m.bias is not None:
                init.constant_(m.bias, 0)


BAR_WIDTH = 50
_clock = {'start': time.time(), 'last': time.time()}


def _terminal_columns():
    return shutil.get_terminal_size((100, 20)).columns


def progress_bar(current, total, msg=None):
    '''Draw `[=====>....]  step time | total time | msg` for batch `current` of `total`.'''
    now = time.time()
    if current == 0:
        _clock['start'] = now
    filled = int(BAR_WIDTH * current / total)
    rest = BAR_WIDTH - filled - 1

    out = [' [', '=' * filled, '>', '.' * rest, ']']
    step_time = now - _clock['last']
    _clock['last'] = now
    parts = ['  Step: %s' % format_time(step_time),
             ' | Tot: %s' % format_time(now - _clock['start'])]
    if msg:
        parts.append(' | ' + msg)
    text = ''.join(parts)
    out.append(text)

    columns = _terminal_columns()
    padding = columns - BAR_WIDTH - len(text) - 3
    out.append(' ' * max(padding, 0))
    # move back to the middle of the bar and print the batch counter there
    out.append('\b' * (columns - BAR_WIDTH // 2 + 2))
    out.append(' %d/%d ' % (current + 1, total))
    sys.stdout.write(''.join(out))
    sys.stdout.write('\r' if current < total - 1 else '\n')
    sys.stdout.flush()


def format_time(seconds):
    '''The two largest non-zero units of days, hours, minutes, seconds and milliseconds.'''
    units = []
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    whole = int(seconds)
    millis = int((seconds - whole) * 1000)
    for value, suffix in ((days, 'D'), (hours, 'h'), (minutes, 'm'), (whole, 's'),
                          (millis, 'ms')):
        if value > 0 and len(units) < 2:
            units.append('%d%s' % (value, suffix))
    return ''.join(units) or '0ms'


class AverageMeter(object):
    '''Running average of a value, for printing losses and accuracies.'''

    def __init__(self, name):
        self.name = name
        self.reset()

    def reset(self):
        self.sum = 0.0
        self.count = 0

    def update(self, value, n=1):
        self.sum += value * n
        self.count += n

    @property
    def avg(self):
        return self.sum / self.count if self.count else 0.0

    def __str__(self):
        return '%s %.4f' % (self.name, self.avg)
