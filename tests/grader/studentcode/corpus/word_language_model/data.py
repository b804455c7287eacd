import os
from io import open

import torch


class Dictionary(object):
    """Word <-> id, ids handed out in order of first appearance."""

    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        idx = self.word2idx.get(word)
        if idx is None:
            idx = len(self.idx2word)
            self.word2idx[word] = idx
            self.idx2word.append(word)
        return idx

    def __len__(self):
        return len(self.idx2word)


class Corpus(object):
    """train.txt, valid.txt and test.txt of one folder as 1-D tensors of word ids; every line
    ends with an <eos> token."""

    def __init__(self, path):
        self.dictionary = Dictionary()
        self.train = self.tokenize(os.path.join(path, 'train.txt'))
        self.valid = self.tokenize(os.path.join(path, 'valid.txt'))
        self.test = self.tokenize(os.path.join(path, 'test.txt'))

    def tokenize(self, path):
        if not os.path.exists(path):
            raise FileNotFoundError(path)
        ids = []
        with open(path, 'r', encoding='utf8') as handle:
            for line in handle:                 # file iteration: lines end at '\n' only
                for word in line.split() + ['<eos>']:
                    ids.append(self.dictionary.add_word(word))
        return torch.tensor(ids, dtype=torch.int64)
