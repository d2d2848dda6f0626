"""Every theorem declares what it claims (mean, quantile, fraction, exact, sample complexity) and
every check judges a statistic at least as strong as its theorem's."""
import pytest

from rlth import cli, experiment, theory
from rlth.experiment import Check, Experiment
from rlth.rates import STATISTIC_ACCEPTS, statistic_problems
from rlth.theory import STATISTICS, Theorem, register


def _run(params, rng):  # pragma: no cover - never run
    return {}


register(Theorem(id="stattest.hp", paper="toy", arxiv="", number="Thm 1", statement="",
                 quantity="y", sweep_variable="N", kind="upper", exponent=-0.5,
                 provenance="[D]", statistic="quantile", delta=0.05))


def fake(checks, grid=({"N": 10.0}, {"N": 100.0})):
    return Experiment(name="stat_fake", title="fake", run=_run, grids={"quick": list(grid)},
                      replicates={"quick": 2}, checks=checks)


def test_registered_experiments_have_no_statistic_problems():
    reg = cli.discover()
    assert not reg.errors, reg.errors
    exps = list(reg.experiments.values())
    assert exps
    problems = statistic_problems(exps)
    assert problems == [], "\n".join(problems)


def test_weaker_statistic_is_flagged():
    bad = fake([Check("stattest.hp", "y", "N", statistic="mean", label="mean on quantile")])
    problems = statistic_problems([bad])
    assert len(problems) == 1
    assert "stat_fake" in problems[0] and "'mean'" in problems[0] and "'quantile'" in problems[0]
    # the theorem's own statistic and a stronger one are fine
    good = fake([Check("stattest.hp", "y", "N"), Check("stattest.hp", "y", "N",
                                                       statistic="exact")])
    assert statistic_problems([good]) == []
    # a mapping name -> experiment works as well
    assert len(statistic_problems({"stat_fake": bad})) == 1


def test_other_statistic_problems_are_flagged():
    no_delta = Theorem(id="stattest.nodelta", paper="toy", arxiv="", number="Thm 2",
                       statement="", quantity="y", sweep_variable="N", kind="upper",
                       exponent=None, statistic="quantile")
    register(no_delta)
    [p] = statistic_problems([fake([Check("stattest.nodelta", "y", "N")])])
    assert "needs delta" in p
    # a delta on every point the check judges is enough
    grid = ({"N": 10.0, "delta": 0.1}, {"N": 100.0, "delta": 0.1})
    assert statistic_problems([fake([Check("stattest.nodelta", "y", "N")], grid)]) == []
    [p] = statistic_problems([fake([Check("stattest.hp", "y", "N", eps_grid=(0.1,))])])
    assert "eps_grid" in p
    [p] = statistic_problems([fake([Check("nosuch.theorem", "y", "N")])])
    assert "unregistered" in p


def test_every_registered_theorem_has_a_valid_statistic():
    cli.discover()                           # experiment files may register theorems
    for t in theory.all_theorems().values():
        assert t.statistic in STATISTICS, t.id
        assert t.delta is None or 0 < t.delta < 1, t.id
        assert t.statistic in STATISTIC_ACCEPTS[t.statistic]


def test_statistic_tables_agree():
    assert experiment.STATISTICS == theory.STATISTICS
    assert set(STATISTIC_ACCEPTS) == set(STATISTICS)
    for st, ok in STATISTIC_ACCEPTS.items():
        assert st in ok and "exact" in ok or st == "sample_complexity"
        assert set(ok) <= set(STATISTICS)
    assert "mean" not in STATISTIC_ACCEPTS["quantile"]


def test_theorem_and_check_validation():
    kw = dict(id="stattest.v", paper="toy", arxiv="", number="", statement="", quantity="y",
              sweep_variable="N", kind="upper", exponent=None)
    with pytest.raises(ValueError, match="^statistic"):
        Theorem(**kw, statistic="median")
    with pytest.raises(ValueError, match="^delta"):
        Theorem(**kw, statistic="quantile", delta=1.5)
    with pytest.raises(ValueError, match="^delta"):
        Theorem(**kw, statistic="quantile", delta=0)
    with pytest.raises(ValueError, match="^delta"):
        Theorem(**kw, statistic="mean", delta=0.1)
    assert Theorem(**kw).statistic == "mean" and Theorem(**kw).delta is None
    with pytest.raises(ValueError, match="^statistic"):
        Check("stattest.hp", "y", "N", statistic="median")
    assert Check("stattest.hp", "y", "N").statistic is None


def test_list_shows_statistic_and_delta(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[1]
    assert "statistic" in header
    line = next(ln for ln in out.splitlines() if ln.startswith("stattest.hp "))
    assert "quantile (delta=0.05)" in line
