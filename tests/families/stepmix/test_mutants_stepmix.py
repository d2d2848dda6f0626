"""Tests that kill generated mutants of :mod:`rlth.algorithms.online.stepmix` which the other
StepMix tests let survive (``tools/mutation_sweep.py``; see
docs/explanation/mutation_testing.md)."""
from __future__ import annotations

import numpy as np
import pytest

from rlth.algorithms.online.runner import run_online
from rlth.algorithms.online.stepmix import EpsMix, StepMix, mixture_baseline
from rlth.instances import riverswim


class _Recording(EpsMix):
    def reset(self, mdp, n_episodes):
        super().reset(mdp, n_episodes)
        self.seen = []

    def propose(self, k):
        prop = super().propose(k)
        f1 = self.pessimistic_value(prop.policies[0])       # same statistics as the proposal
        self.seen.append((prop, f1, self.v_b))
        return prop


def test_epsmix_proposal_reports_the_mixture_of_pessimistic_values():
    """EpsMix's proposal value is eps f(pibar) + (1 - eps) V_b: the pessimistic value of the
    episode-level mixture, linear in the coin's probability."""
    mdp = riverswim(4, horizon=5)
    pi_b, _, _ = mixture_baseline(mdp, 0.5)
    agent = _Recording(pi_b, 0.1, bonus_scale=0.1)
    run_online(mdp, agent, 40, rng=0, engine="python")
    assert len(agent.seen) == 40
    for prop, f1, v_b in agent.seen:
        eps = prop.weight
        assert prop.probs.tolist() == [eps, 1.0 - eps]
        assert prop.pessimistic_value == pytest.approx(eps * f1 + (1.0 - eps) * v_b,
                                                       rel=0, abs=1e-12)
    # the baseline term matters: some proposals mix (eps < 1) with a positive V_b
    assert any(p.weight < 1.0 and v_b > 0.01 for p, _, v_b in agent.seen)


@pytest.mark.parametrize("bad", [[[0, -1, 0, 0]] * 5, [[0, 2, 0, 0]] * 5])
def test_advantage_bound_rejects_actions_out_of_range(bad):
    mdp = riverswim(4, horizon=5)
    pi_b, _, _ = mixture_baseline(mdp, 0.5)
    agent = StepMix(pi_b, 0.1, bonus_scale=0.1)
    agent.reset(mdp, 10)
    pibar = np.array(bad, dtype=np.int64)
    with pytest.raises(ValueError, match="pibar"):
        agent.advantage_bound(pibar)
    assert np.isfinite(agent.advantage_bound(np.zeros((5, 4), dtype=np.int64)))
