"""Which params each question kind accepts, and the check that an assignment gives no other.

`PARAMS` is DESIGN.md's table, one ordered row per kind (a kind without a row is not checked);
`grader/key.py` registers each kind's solver beside it. An unknown param, or a typo inside a
layer (`filter = 32`), is an error naming file, line, key and the nearest valid key; every
problem of a file comes in one message.
"""
from __future__ import annotations

import difflib
import re

from grader.assignment import Assignment, Question, Where, joined_problems, unknown_keys
from grader.errors import AssignmentError

# The params each kind accepts (DESIGN.md's table), beside the registration above, in the
# order messages list them: assignment validation turns an unknown param into an error naming
# the nearest valid one.
PARAMS: dict[str, tuple[str, ...]] = {
    "cnn.shapes": ("input", "layers", "ask"),
    "cnn.flatten": ("input", "layers"),
    "cnn.params": ("input", "layers", "layer"),
    "model.summary": ("model", "input", "ask", "kwargs"),
    "attention.sdpa": ("Q", "K", "V", "mask", "ask"),
    "attention.multihead": ("seq_len", "d_model", "heads", "d_k", "d_v", "ask"),
    "attention.grad": ("Q", "K", "V", "dO", "ask"),
    "rnn.unroll": ("steps", "activation", "h0"),
    "rnn.bptt": ("W_hh", "W_xh", "b", "xs", "h0", "t", "k", "ask"),
    "cnn.receptive_field": ("input", "layers", "ask", "jump", "axis"),
    "cnn.macs": ("input", "layers", "layer"),
    "rnn.params": ("cell", "input_size", "hidden_size", "layers", "bidirectional", "bias"),
    "transformer.params": ("d_model", "heads", "d_ff", "block", "bias", "norm"),
    "attention.positional": ("d_model", "pos", "i"),
    "mlp.backprop": ("weights", "biases", "x", "target", "activation", "loss", "ask"),
    "loss.cross_entropy": ("logits", "targets", "ask", "reduction"),
    "optim.step": ("optimizer", "params", "grads", "steps"),
    "value": (), "expression": (), "choice": (), "manual": (),
}


def check_params(assignment: Assignment) -> None:
    """Every param a question gives is one its kind declares (PARAMS), all problems at once."""
    try:
        text = assignment.path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""                       # an assignment built in code: no lines to name
    where = Where(assignment.path, text)
    problems = [p for q in assignment.questions for p in params_problems(q, where)]
    if problems:
        raise AssignmentError(joined_problems(assignment.path, problems))


def params_problems(q: Question, where: Where) -> list[str]:
    """Params its kind does not declare, and typos inside its layers."""
    if q.kind not in PARAMS:
        return []                       # a kind that declares nothing is not checked
    return unknown_keys(q.params, PARAMS[q.kind], where, f"question {q.id}: params ",
                        f'id = "{q.id}"') + _layer_key_problems(q, where)


def _layer_key_problems(q: Question, where: Where) -> list[str]:
    """A typo inside a layer (`filter = 32`): the layer, the key and the nearest layer key."""
    from reference.cnn import LAYER_KEYS
    layers = q.params.get("layers")
    if not isinstance(layers, list):
        return []
    problems = []
    for index, layer in enumerate(layers, 1):
        kind = str(layer.get("type", "")).lower() if isinstance(layer, dict) else ""
        if kind not in LAYER_KEYS:
            continue                    # the reference names an unknown type itself
        valid = ("type", "name", *sorted(LAYER_KEYS[kind]))
        for key in layer:
            if key not in valid:
                near = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.5)
                hint = f'; did you mean "{near[0]}"?' if near else f" (valid: {', '.join(valid)})"
                line = _line_of_layer_key(where.text, str(key), f'id = "{q.id}"')
                at = f"{where.path.name} line {line}" if line else where.path.name
                problems.append(f'{at}: question {q.id}: layer {index} ({kind}) unknown key '
                                f'"{key}"{hint}')
    return problems


def _line_of_layer_key(text: str, key: str, anchor: str) -> int | None:
    """The line of `key =` inside an inline layer table, after the question's id line."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if anchor in line), 0)
    pattern = re.compile(rf"(?:^|[{{,])\s*{re.escape(key)}\s*=")
    return next((i + 1 for i in range(start, len(lines)) if pattern.search(lines[i])), None)
