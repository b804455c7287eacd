import torch
import torch.nn as nn
import torch.nn.functional as F

RNN_KINDS = {'LSTM': None, 'GRU': None, 'RNN_TANH': 'tanh', 'RNN_RELU': 'relu'}


class RNNModel(nn.Module):
    """Embedding -> recurrent layers -> linear decoder over the vocabulary."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        if rnn_type not in RNN_KINDS:
            raise ValueError("--model must be one of %s, not %r" % (', '.join(RNN_KINDS),
                                                                     rnn_type))
        self.rnn_type = rnn_type
        self.ntoken = ntoken
        self.nhid = nhid
        self.nlayers = nlayers

        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if RNN_KINDS[rnn_type] is None:
            cell = getattr(nn, rnn_type)
            self.rnn = cell(ninp, nhid, nlayers, dropout=dropout)
        else:
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=RNN_KINDS[rnn_type],
                              dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)

        if tie_weights:
            # sharing the embedding with the output layer (Press & Wolf, 2016) needs equal sizes
            if nhid != ninp:
                raise ValueError('--tied needs --nhid equal to --emsize')
            self.decoder.weight = self.encoder.weight
        self._reset_parameters(0.1)

    def _reset_parameters(self, scale):
        nn.init.uniform_(self.encoder.weight, -scale, scale)
        nn.init.uniform_(self.decoder.weight, -scale, scale)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, input, hidden):
        x = self.drop(self.encoder(input))          # (seq, batch, ninp)
        out, hidden = self.rnn(x, hidden)
        logits = self.decoder(self.drop(out))
        return F.log_softmax(logits.view(-1, self.ntoken), dim=1), hidden

    def init_hidden(self, bsz):
        ref = next(self.parameters())
        shape = (self.nlayers, bsz, self.nhid)
        if self.rnn_type == 'LSTM':
            return ref.new_zeros(shape), ref.new_zeros(shape)
        return ref.new_zeros(shape)
