"""A refuted claim's reason, as a student below the `answers` level sees it: which check refused
the measurement (from the result's `refused_by`, not from its text), and never the number."""
from __future__ import annotations

from dataclasses import replace

from grader.i18n import use_language
from grader.report import refuted_reason
from grader.results import ClaimResult, ClaimStatus


def refuted(**kw) -> ClaimResult:
    base = ClaimResult("5", ClaimStatus.REFUTED, 100.0, 100.0, 1.0, 0.0, 10,
                       detail="re-ran lookup.py on digits test: 100.00%; ...", metric="accuracy")
    return replace(base, **kw)


def test_the_check_that_refused_is_named_without_the_number():
    control = refuted_reason(refuted(refused_by="control"))
    assert "memorisation control" in control and "100" not in control
    causal = refuted_reason(refuted(refused_by="causal", metric="perplexity"))
    assert "future tokens" in causal
    plain = refuted_reason(refuted(measured=90.0))
    assert "worse than the claimed value" in plain and "90" not in plain


def test_a_cut_reason_is_kept_as_it_is_in_every_language():
    for lang in ("en", "zh"):
        with use_language(lang):
            once = refuted_reason(refuted(refused_by="control"))
            assert refuted_reason(refuted(detail=once, measured=None)) == once
    with use_language("zh"):
        assert refuted_reason(refuted(refused_by="control")).startswith("不成立：")
