"""Language models: token batches answered one message at a time, and the causal-leak check.

The parent sends a batch x (T, B) only after the answer to the one before has left; the answer
is the log-probability of each next token inside the batch and the whole distribution at its
last row, whose target is the next batch's first row.
"""
from __future__ import annotations

import inspect

import torch

from . import Failure


def _forward(model, x, hidden, layout: str, seq: int, bsz: int):
    """Log-probabilities (T, B, V) whatever the layout and output form."""
    xin = x if layout == "seq-first" else x.t().contiguous()
    takes = _required(model)
    if hidden is not None:
        out = model(xin, hidden)
    elif len(takes) == 2 and "mask" in takes[1]:
        # `forward(src, src_mask)` (PyTorch's transformer tutorial): the causal mask it
        # trained with; the causal check still proves the model does not look ahead.
        out = model(xin, torch.nn.Transformer.generate_square_subsequent_mask(
            seq, device=x.device))
    elif len(takes) > 1:
        raise Failure(f"{type(model).__name__}.forward takes ({', '.join(takes)}), and a "
                      "language-model claim calls model(x), model(x, src_mask) or model(x, "
                      "hidden) with init_hidden(batch): give the model a forward(x) that "
                      "returns the next-token logits")
    else:
        out = model(xin)
    if isinstance(out, (tuple, list)):
        out, hidden = out[0], (out[1] if len(out) > 1 else hidden)
    if out.dim() == 2 and out.shape[0] == seq * bsz:
        out = out.view(seq, bsz, -1) if layout == "seq-first" else out.view(bsz, seq, -1)
    if out.dim() != 3:
        raise Failure(f"language model output is {list(out.shape)}; expected "
                      f"({'T, B' if layout == 'seq-first' else 'B, T'}, vocab)")
    if layout == "batch-first":
        out = out.transpose(0, 1)
    return torch.log_softmax(out.float(), dim=-1), hidden


def _required(model) -> list[str]:
    """The parameters forward must be given (no default)."""
    try:
        params = inspect.signature(model.forward).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.default is p.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _detach(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    if isinstance(h, (tuple, list)):
        return type(h)(_detach(v) for v in h)
    return h


def language_model(model, request: dict, device, channel) -> dict:
    """Answer the parent's token batches one at a time: for a batch x (T, B), the
    log-probability of each next token inside it, (T-1, B), and the whole distribution at its
    last row, (B, V), whose target is the first row of the next batch: that row arrives only
    after this answer has left. A new stream (a control) starts from a fresh hidden state.
    Returns the causal-leak check, run on the first batch."""
    bsz, layout = int(request["eval_batch_size"]), request["layout"]
    recurrent = hasattr(model, "init_hidden")
    stream, hidden, leak = None, None, {"checked": False}
    with torch.inference_mode():
        while True:
            header, arrays = channel.receive()
            if header.get("end"):
                return leak
            x = torch.from_numpy(arrays["x"].copy()).to(device)                # (T, B)
            if header.get("stream") != stream:
                stream = header.get("stream")
                hidden = model.init_hidden(bsz) if recurrent else None
                if not leak["checked"]:
                    leak = _causal_check(model, x, layout, bsz, recurrent)
            logp, hidden = _forward(model, x, hidden, layout, x.size(0), bsz)   # (T, B, V)
            inner = logp[:-1].gather(-1, x[1:].unsqueeze(-1)).squeeze(-1)      # (T-1, B)
            channel.send({"ok": True}, {"inner": inner.cpu().numpy(),
                                        "last": logp[-1].cpu().numpy()})
            hidden = _detach(hidden) if recurrent else None


def _causal_check(model, x, layout: str, bsz: int, recurrent: bool) -> dict:
    """Changing tokens from position t on must leave the outputs before t unchanged."""
    seq = x.size(0)
    if seq < 4:
        return {"checked": False}
    cut = seq // 2
    g = torch.Generator().manual_seed(0)
    x2 = x.clone()
    high = int(x.max().item()) + 1
    x2[cut:] = torch.randint(0, max(high, 2), x2[cut:].shape, generator=g).to(x.device)
    h1 = model.init_hidden(bsz) if recurrent else None
    h2 = model.init_hidden(bsz) if recurrent else None
    a, _ = _forward(model, x, h1, layout, seq, bsz)
    b, _ = _forward(model, x2, h2, layout, seq, bsz)
    diff = float((a[:cut] - b[:cut]).abs().max().item())
    return {"checked": True, "max_change": diff, "position": cut, "ok": diff < 1e-3}
