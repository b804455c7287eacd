"""Follow-through credit and per-layer diagnosis for `cnn.shapes` answers.

A student who gets layer 2 wrong and then computes layer 3 correctly *from their own layer 2*
has understood layer 3: that element earns credit, and the feedback says so. A wrong element is
also checked against the classic per-layer mistakes the reference knows (padding mode swapped,
missing floor, ...), the outputs of other layers, and channels-first order.
"""
from __future__ import annotations

from typing import Any, Sequence

from grader.results import Part
from reference import cnn


def _norm(shape: Any) -> Any:
    """Shapes compare as lists; flatten/dense outputs are plain ints."""
    if isinstance(shape, (list, tuple)):
        return [int(x) if float(x).is_integer() else x for x in shape]
    return shape


def _fmt(shape: Any) -> str:
    return "×".join(str(x) for x in shape) if isinstance(shape, (list, tuple)) else str(shape)


def chain_parts(params: dict[str, Any], given: Sequence[Any], expected: Sequence[Any],
                verdicts: Sequence[bool]) -> list[Part]:
    """Per asked layer: right, right by follow-through, or wrong with the mistake named."""
    layers = params["layers"]
    ask = list(params.get("ask") or range(1, len(layers) + 1))
    outputs = [_norm(w.answer) for w in cnn.propagate(params["input"], layers)]
    parts: list[Part] = []
    for i, layer_no in enumerate(ask):
        mine = _norm(given[i]) if i < len(given) else None
        ok = bool(verdicts[i]) if i < len(verdicts) else False
        note = ""
        if not ok and mine is not None and i > 0 and i - 1 < len(given):
            if _follows(params["input"], layers, ask[i - 1], layer_no, _norm(given[i - 1]), mine):
                ok, note = True, (f"follow-through: right from your layer {ask[i - 1]} "
                                  f"({_fmt(given[i - 1])})")
        if not ok and mine is not None:
            note = _diagnose(params["input"], layers, outputs, layer_no, mine)
        parts.append(Part(f"layer {layer_no}", _norm(expected[i]) if i < len(expected) else None,
                          mine, ok, note))
    return parts


def _follows(inp: Any, layers: list, prev_no: int, layer_no: int, prev_given: Any,
             mine: Any) -> bool:
    """Does the reference, started from the student's own previous shape, give their answer?"""
    shape = prev_given
    try:
        for idx in range(prev_no, layer_no):          # layers prev_no+1 .. layer_no (1-based)
            shape = _norm(cnn.layer_output(shape, layers[idx], idx + 1).answer)
    except (ValueError, TypeError, IndexError, ZeroDivisionError):
        return False
    return shape == mine


def _diagnose(inp: Any, layers: list, outputs: list, layer_no: int, mine: Any) -> str:
    prev = inp if layer_no == 1 else outputs[layer_no - 2]
    try:
        worked = cnn.layer_output(prev, layers[layer_no - 1], layer_no)
        for name, wrong in worked.mistakes.items():
            if _norm(wrong) == mine:
                return name
    except (ValueError, TypeError):
        pass
    right = outputs[layer_no - 1]
    if isinstance(right, list) and isinstance(mine, list) and len(mine) == 3 \
            and mine == [right[2], right[0], right[1]]:
        return "channels first (C×H×W) where H×W×C is asked"
    # the nearest layer first: a shape-keeping layer (relu) repeats its input's shape
    for j in sorted(range(len(outputs)), key=lambda j: abs(j - (layer_no - 1))):
        if j != layer_no - 1 and outputs[j] == mine:
            return f"the output of layer {j + 1}, not layer {layer_no}"
    return ""
