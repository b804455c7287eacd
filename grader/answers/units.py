"""Numbers with a magnitude suffix: `11.17M`, `1.2k`, `1117万`. They are rounded counts, so a
reading from here is `approximate`: equal to the key only within the question's tolerance."""
from __future__ import annotations

import re
from decimal import Decimal

from grader.answers.forms import Form, Reading
from grader.i18n import _

SCALE = {"k": 10**3, "K": 10**3, "M": 10**6, "m": 10**6, "万": 10**4, "亿": 10**8}
SUFFIXED = r"(?P<digits>\d+(?:\.\d+)?)\s?(?P<suffix>[kKM]|万|亿)(?![A-Za-z])"
# The whole answer: optional `~`/`约`/`about`, the number, then unit words (`params`, `个参数`).
WHOLE = re.compile(rf"^\s*(?:~|≈|约|大约|about|approx\.?)?\s*{SUFFIXED}"
                   r"\s*(?:[A-Za-z\s]*|个?参数量?|个)?\s*[。.]?\s*$")


def scaled(digits: str, suffix: str) -> int | float:
    """`11.17`, `M` -> 11170000 (exact decimal arithmetic, so 1.2k is 1200, not 1199.99…)."""
    value = Decimal(digits) * SCALE[suffix]
    return int(value) if value == value.to_integral_value() else float(value)


def read_suffixed(text: str, form: Form, dims: int | None) -> Reading | None:
    """The `number with a suffix` row: claims an answer that is just `11.17M` (plus units)."""
    match = WHOLE.match(text)
    if not match:
        return None
    value = scaled(match["digits"], match["suffix"])
    if form is Form.INT and isinstance(value, float):
        return None
    written = f"{match['digits']}{match['suffix']}"
    how = _("read {written} as {value}").format(written=written, value=f"{value:,}")
    return Reading(value, how, approximate=True)
