"""The parameters check: the re-run model's count against the counts the student states.

Two places state one: the training log (`Total params: 11,173,962`, `模型总参数量: N`, a
torchsummary footer) and the student's answer to the `model.summary` question the claim names
(`summary = "5.1"` in the assignment's [[claim]]). A mismatch is a `warn` row with both
numbers; agreement is `pass`; with nothing to compare against the row stays `info`.
"""
from __future__ import annotations

from dataclasses import replace

from grader.answers import Form, parse
from grader.assignment import Claim
from grader.errors import AnswerParseError
from grader.i18n import _
from grader.results import CheckStatus, ClaimResult, IntegrityCheck


def stated_counts(claim: Claim, spec: dict, result: ClaimResult, answers: dict
                  ) -> dict[str, int]:
    """Where a parameter count is stated, and what it says (the log's was read with its
    verdict, `result.log_params`)."""
    found: dict[str, int] = {}
    qid = claim.options.get("summary")
    if isinstance(qid, str) and answers.get(qid) is not None:
        try:
            value = parse(answers[qid], Form.INT)
        except AnswerParseError:
            value = None
        if isinstance(value, int):
            found[_("your answer to {question}").format(question=qid)] = value
    if result.log_params is not None:
        found[_("the log {log}").format(log=spec.get('log'))] = result.log_params
    return found


def reconcile(result: ClaimResult, stated: dict[str, int],
              integrity: list[IntegrityCheck]) -> None:
    """Turn the claim's `info` parameters row into a comparison where a count is stated."""
    name = f"claim {result.id}: parameters"
    at = next((i for i, row in enumerate(integrity) if row.check == name), None)
    if at is None or result.params is None or not stated:
        return
    measured = result.params
    off = {where: n for where, n in stated.items() if n != measured}
    said = "; ".join(_("{where} says {count}").format(where=where, count=f"{n:,}")
                     for where, n in stated.items())
    if off:
        integrity[at] = replace(integrity[at], status=CheckStatus.WARN,
                                detail=_("the re-run model has {params} parameters, but "
                                         "{said}").format(params=f"{measured:,}", said=said))
    else:
        integrity[at] = replace(integrity[at], status=CheckStatus.PASS,
                                detail=_("the re-run model has {params} parameters, as "
                                         "{said}").format(params=f"{measured:,}", said=said))
