"""Results <-> JSON, lossless (unlike Result.to_json), so stored reports can be rebuilt."""
from __future__ import annotations

import dataclasses
import enum
import functools
import json
import types
import typing
from typing import Any

from grader.results import ClaimResult, IntegrityCheck, Result

VerifierOutput = tuple[ClaimResult, list[IntegrityCheck]]


def result_to_json(result: Result) -> str:
    return json.dumps(dataclasses.asdict(result), ensure_ascii=False, default=str)


def result_from_json(text: str) -> Result:
    return _decode(Result, json.loads(text))


def verifier_to_json(output: VerifierOutput) -> str:
    claim, checks = output
    return json.dumps({"claim": dataclasses.asdict(claim),
                       "checks": [dataclasses.asdict(c) for c in checks]},
                      ensure_ascii=False, default=str)


def verifier_from_json(text: str) -> VerifierOutput:
    data = json.loads(text)
    return (_decode(ClaimResult, data["claim"]),
            [_decode(IntegrityCheck, c) for c in data["checks"]])


_hints = functools.cache(typing.get_type_hints)    # slow, and asked once per record otherwise


def _decode(tp: Any, data: Any) -> Any:
    """Rebuild dataclasses, enums, lists and tuples from `dataclasses.asdict` output."""
    if data is None:
        return None
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = _hints(tp)
        return tp(**{f.name: _decode(hints[f.name], data[f.name])
                     for f in dataclasses.fields(tp) if f.init and f.name in data})
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _decode(inner[0], data) if len(inner) == 1 else data
    if origin is list and args:
        return [_decode(args[0], x) for x in data]
    if origin is tuple and args:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], x) for x in data)
        return tuple(_decode(a, x) for a, x in zip(args, data))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    return data
