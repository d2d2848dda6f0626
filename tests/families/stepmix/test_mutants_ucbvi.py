"""Tests that kill generated mutants of :mod:`rlth.algorithms.online.ucbvi` which the other
online tests let survive (``tools/mutation_sweep.py``; see docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import numpy as np
import pytest

from rlth.algorithms.online.ucbvi import UCBVI
from rlth.models import FiniteHorizonMDP


def test_defaults_and_repr():
    """The defaults of Azar et al.'s UCBVI as rlth documents them: Chernoff-Hoeffding bonus,
    delta = 0.1, unit bonus scale, clipping at the remaining horizon."""
    u = UCBVI()
    assert (u.bonus, u.delta, u.bonus_scale, u.clip) == ("ch", 0.1, 1.0, "remaining")
    assert repr(u) == "UCBVI(bonus='ch', delta=0.1, bonus_scale=1.0, clip='remaining')"
    assert repr(UCBVI("bf", 0.05, 0.5, clip="H")) == \
        "UCBVI(bonus='bf', delta=0.05, bonus_scale=0.5, clip='H')"


@pytest.mark.parametrize("R", [[[-0.5, 0.5], [0.2, 0.3]], [[0.5, 1.5], [0.2, 0.3]],
                               [[-0.1, 0.0], [0.0, 0.0]]])
def test_rewards_outside_the_unit_interval_are_rejected(R):
    """Mean rewards with any entry below 0 or above 1 (whatever the other entries) are
    rejected at reset with a ValueError naming ``mdp``."""
    m = FiniteHorizonMDP(np.full((2, 2, 2), 0.5), np.array(R), horizon=2,
                         reward_range=(-1.0, 2.0))
    with pytest.raises(ValueError, match="mdp: UCBVI needs mean rewards in \\[0, 1\\]"):
        UCBVI().reset(m, 10)
