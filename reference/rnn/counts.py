"""Parameters of PyTorch's RNN, LSTM and GRU layers (kind `rnn.params`).

Per layer and direction, with g gates (RNN 1, LSTM 4: i, f, g, o; GRU 3: r, z, n) and hidden
size H:

    W_ih: g·H × in        W_hh: g·H × H        b_ih, b_hh: g·H each (when bias)

`in` is the input size for layer 1 and H·directions above it, since a bidirectional layer hands
both directions' outputs up. PyTorch keeps TWO bias vectors per gate (b_ih and b_hh, as cuDNN
does), so a textbook count with one bias comes out g·H short per layer and direction.
"""
from __future__ import annotations

from typing import Any

from reference.worked import Worked

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
ONE_BIAS = "one bias vector per gate instead of two (b_ih and b_hh)"
NO_BIAS = "biases left out"
PLAIN_RNN_GATES = "gates left out (counted as a plain RNN)"
FIRST_INPUT_EVERYWHERE = "every layer given the input size (not H·directions above layer 1)"
ONE_DIRECTION_ABOVE = "upper layers' input taken as H, not 2H, in a bidirectional stack"
ONE_DIRECTION = "one direction counted"


def _int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} {value!r} is not an integer >= {minimum}")
    return value


def _count(gates: int, n_in: int, hidden: int, layers: int, dirs: int, biases: int,
           upper_in: int | None = None) -> int:
    total = 0
    for layer in range(layers):
        m = n_in if layer == 0 else (upper_in if upper_in is not None else hidden * dirs)
        total += dirs * (gates * hidden * (m + hidden) + biases * gates * hidden)
    return total


def rnn_params(cell: str, input_size: int, hidden_size: int, layers: int = 1,
               bidirectional: bool = False, bias: bool = True) -> Worked:
    """Trainable parameters of `nn.RNN` / `nn.LSTM` / `nn.GRU` with these settings."""
    kind = str(cell).lower()
    if kind not in GATES:
        raise ValueError(f"cell {cell!r} is not one of {', '.join(GATES)}")
    n_in, h = _int(input_size, "input_size"), _int(hidden_size, "hidden_size")
    layers = _int(layers, "layers")
    for name, flag in (("bidirectional", bidirectional), ("bias", bias)):
        if not isinstance(flag, bool):
            raise ValueError(f"{name} {flag!r} is not true or false")
    g, dirs, biases = GATES[kind], 2 if bidirectional else 1, 2 if bias else 0
    total = _count(g, n_in, h, layers, dirs, biases)
    steps = []
    for layer in range(layers):
        m = n_in if layer == 0 else h * dirs
        per = g * h * (m + h) + biases * g * h
        bias_text = f" + 2·{g}·{h}" if bias else ""
        where = f"layer {layer + 1}" + (" (×2 directions)" if dirs == 2 else "")
        steps.append(f"{where}: {g}·{h}·({m} + {h}){bias_text} = {per:,}" + (f" → {dirs * per:,}" if dirs == 2 else ""))
    steps.append(f"total: {total:,}")
    found = {
        ONE_BIAS: _count(g, n_in, h, layers, dirs, 1) if bias else None,
        NO_BIAS: _count(g, n_in, h, layers, dirs, 0) if bias else None,
        PLAIN_RNN_GATES: _count(1, n_in, h, layers, dirs, biases) if g > 1 else None,
        FIRST_INPUT_EVERYWHERE: _count(g, n_in, h, layers, dirs, biases, upper_in=n_in) if layers > 1 else None,
        ONE_DIRECTION_ABOVE: (_count(g, n_in, h, layers, dirs, biases, upper_in=h)
                              if layers > 1 and dirs == 2 else None),
        ONE_DIRECTION: _count(g, n_in, h, layers, 1, biases) if dirs == 2 else None,
    }
    mistakes: dict[str, int] = {}
    for name, value in found.items():
        if value is not None and value != total and value not in mistakes.values():
            mistakes[name] = value
    return Worked(answer=total, steps=tuple(steps), mistakes=mistakes)
