"""bench.misses drives bench.engine's cases in process; the counting itself needs valgrind, which CI does not
install."""

from __future__ import annotations

import numpy as np
import pytest

from bench import misses
from bench.engine import SHAPE, cases

NAMES = [c.name for c in cases(np.zeros(SHAPE, np.float32), with_torch=False)]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("trace", [True, False])
def test_each_layer_is_driven_with_its_floor(name, trace):
    misses.drive(name, 1, trace)


def test_cases_without_torch_have_no_forward_pass():
    assert all(c.torch is None for c in cases(np.zeros(SHAPE, np.float32), with_torch=False))


def test_the_summary_totals_are_read():
    report = """==7== I   refs:      5,740,277,306
==7== I1  misses:       79,386,308
==7== LLi misses:        1,497,323
==7== D   refs:      2,508,685,327  (1,674,751,485 rd   + 833,933,842 wr)
==7== D1  misses:       78,080,360  (   65,205,893 rd   +  12,874,467 wr)
==7== LLd misses:       34,098,753  (   25,704,587 rd   +   8,394,166 wr)
==7== LL misses:        35,596,076  (   27,201,910 rd   +   8,394,166 wr)
"""
    assert misses.parse(report) == {"I": 5_740_277_306, "I1": 79_386_308, "D1": 78_080_360, "LL": 35_596_076}
