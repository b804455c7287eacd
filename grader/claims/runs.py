"""One claim's re-run in a sandboxed child: the request, and the conversation that feeds a
language model its tokens one batch at a time.

Classification: the label-free images (and the control's) are linked into the child's /data;
one request, one frame of logits per input set. Language models: each token batch is sent
only after the child has answered the one before, and the target of a batch's last row (the
next batch's first row) is read off the distribution the child already returned, so no token
is ever in the box before the model has committed to predicting it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader.sandbox import Child, Conversation, Limits, Outcome


@dataclass
class RunResult:
    outcome: Outcome
    values: dict[str, np.ndarray] = field(default_factory=dict)   # per input set / stream


def classify(child: Child, request: dict, inputs: dict[str, tuple[Path, np.ndarray, float]],
             limits: Limits) -> RunResult:
    """`inputs`: name -> (uint8 file, its tensor, scale). Logits come back per name."""
    specs = []
    for name, (path, images, scale) in inputs.items():
        child.place_inputs(path, f"{name}.bin")
        specs.append({"name": name, "shape": list(images.shape), "scale": scale,
                      "path": child.inputs_path(f"{name}.bin")})
    outcome = child.serve(dict(request, inputs=specs), limits)
    values = {name: outcome.arrays.get(f"logits:{name}") for name in inputs}
    return RunResult(outcome, {k: v for k, v in values.items() if v is not None})


def language_model(child: Child, request: dict, streams: dict[str, np.ndarray],
                   limits: Limits) -> RunResult:
    """Per stream, the log-probability of every next token, in the batchified order."""
    bsz, bptt = int(request["eval_batch_size"]), int(request["bptt"])
    talk = child.talk(request, limits)
    values: dict[str, np.ndarray] = {}
    for name, tokens in streams.items():
        got = _stream(talk, name, tokens, bsz, bptt)
        if got is None:
            return RunResult(talk.finish(None))
        values[name] = got
    talk.send({"end": True})
    talk.close_input()
    return RunResult(talk.finish(talk.receive()), values)


def batchify(tokens: np.ndarray, bsz: int) -> np.ndarray:
    """(T, B): the stream cut into `bsz` columns, as the PyTorch word-language-model does."""
    rows = len(tokens) // bsz
    return np.ascontiguousarray(tokens[: rows * bsz].reshape(bsz, rows).T)


def _stream(talk: Conversation, name: str, tokens: np.ndarray, bsz: int, bptt: int
            ) -> np.ndarray | None:
    data = batchify(tokens.astype(np.int64), bsz)
    rows, out = data.shape[0], []
    for i in range(0, rows - 1, bptt):
        seq = min(bptt, rows - 1 - i)
        if not talk.send({"stream": name}, {"x": data[i:i + seq]}):
            return None
        frame = talk.receive()
        if frame is None or not frame.ok:
            return None
        target = data[i + seq]                      # (B,): the next batch's first row
        answer = _answer(frame.arrays, seq, bsz, int(target.max()))
        if isinstance(answer, str):
            talk.error = answer
            return None
        inner, last = answer
        out += [inner.astype(np.float64), last[np.arange(bsz), target][None].astype(np.float64)]
    return np.concatenate(out).ravel() if out else np.zeros(0)


def _answer(arrays: dict[str, Any], seq: int, bsz: int, top: int
            ) -> tuple[np.ndarray, np.ndarray] | str:
    inner, last = arrays.get("inner"), arrays.get("last")
    if inner is None or last is None or inner.shape != (seq - 1, bsz) or last.ndim != 2 \
            or last.shape[0] != bsz or last.shape[1] <= top:
        shapes = [None if a is None else list(a.shape) for a in (inner, last)]
        return (f"the model's answer to a token batch has shapes {shapes}; expected "
                f"[{seq - 1}, {bsz}] and [{bsz}, vocab > {top}]")
    return inner, last
