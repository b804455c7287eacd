"""Calling the student's `model` the way their own script calls it.

Two shapes of real homework the claim's TOML cannot express:
- a constructor that takes the block class as a required argument, `ResNet(ResBlock,
  num_classes)`, called in the script as `ResNet(ResBlock, ...)`: a required parameter not in
  `kwargs` whose name is a class the student's code defines gets that class;
- a factory that returns the network with its optimizer, `model, opt = get_model()`: the first
  nn.Module in a returned tuple or list is the network.
"""
from __future__ import annotations

import inspect


def arguments(factory, kwargs: dict, module, notes: list[str]) -> dict:
    """`kwargs`, plus the student's own classes for required parameters named after them."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return kwargs
    filled = dict(kwargs)
    for p in params:
        if p.name in kwargs or p.default is not p.empty or p.kind not in (
                p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            continue
        value = getattr(module, p.name, None)
        if isinstance(value, type):
            filled[p.name] = value
            notes.append(f"{p.name} = the class {p.name} of the code")
    return filled


def network(result):
    """The network a factory returned: itself, or the first nn.Module of a tuple or list."""
    import torch
    if isinstance(result, (tuple, list)):
        return next((r for r in result if isinstance(r, torch.nn.Module)), result)
    return result
