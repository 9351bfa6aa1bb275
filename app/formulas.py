"""LaTeX formulas turned into MathML on the server, so pages show them before (and without) any script.

Chromium, Firefox and Safari render MathML natively; the page sets a math font in CSS.

    >>> to_mathml(r"\\mu = \\frac{1}{m}\\sum_i x_i").startswith('<math xmlns="http://www.w3.org/1998/Math/MathML"')
    True
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

from latex2mathml.converter import convert


@lru_cache(maxsize=1024)
def to_mathml(latex: str, display: str = "block") -> str:
    """MathML markup for `latex`; a formula the converter cannot read is shown as its LaTeX source instead."""
    if not latex:
        return ""
    try:
        return convert(latex, display=display)
    except Exception:  # latex2mathml raises assorted exception types on unsupported input
        return (
            f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="{display}">'
            f"<mtext>{html.escape(latex)}</mtext></math>"
        )


def with_mathml(trace: dict[str, Any]) -> dict[str, Any]:
    """Adds `formula_mathml` beside each step's LaTeX `formula` in a Trace.to_dict() result (in place)."""
    for step in trace.get("steps", ()):
        step["formula_mathml"] = to_mathml(step.get("formula") or "")
    return trace
