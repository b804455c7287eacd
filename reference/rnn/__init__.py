"""Recurrent networks by hand: a simple RNN unrolled with its BPTT Jacobians (`simple`), and the
parameter counts of RNN / LSTM / GRU layers (`counts`)."""
from reference.rnn.counts import GATES, rnn_params
from reference.rnn.simple import (
    ACTIVATIONS, BPTT_ASKS, MAX_STEPS, bptt, evaluate_unrolled, forward, jacobian_expression,
    unroll, unrolled_expression)

__all__ = [
    "ACTIVATIONS", "BPTT_ASKS", "GATES", "MAX_STEPS", "bptt", "evaluate_unrolled", "forward",
    "jacobian_expression", "rnn_params", "unroll", "unrolled_expression",
]
