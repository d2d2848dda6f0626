"""rlth.report: the Markdown tables the README and the site are generated from."""
import csv
from pathlib import Path

import pytest

from rlth import cli, report
from rlth.experiment import Check, Experiment, Figure
from rlth.theory import Theorem

FIELDS = ["experiment", "theorem", "label", "normalize_label", "kind", "metric", "predicted",
          "tolerance", "slope", "ci_low", "ci_high", "decades", "verdict", "reason", "bound"]


def _write(path: Path, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in FIELDS})


def _row(exp, thm, verdict, slope="-0.5", label="c=1"):
    return dict(experiment=exp, theorem=thm, verdict=verdict, slope=slope, ci_low="-0.55",
                ci_high="-0.45", decades="2", kind="upper", predicted="-0.5", label=label,
                reason="2.00 decades | 5 points", bound="n/a")


def _exp(name, figures=()):
    return Experiment(name=name, title=f"{name} title", run=lambda p, rng: {"m": 1.0},
                      grids={"quick": [{"n": 1}]}, replicates={"quick": 1},
                      checks=[Check("t.a.rate", metric="m", x="n")], figures=figures)


@pytest.fixture
def figs(tmp_path):
    _write(tmp_path / "e1_verdicts.csv", [_row("e1", "t.a.rate", "PASS"),
                                          _row("e1", "t.a.rate", "FAIL", slope="-0.1")])
    _write(tmp_path / "e2_verdicts.csv", [_row("e2", "t.b.level", "INCONCLUSIVE", slope="n/a")])
    _write(tmp_path / "other_verdicts.csv", [_row("ghost", "t.c", "PASS")])
    (tmp_path / "e1_rate.png").write_bytes(b"png")
    return tmp_path


def test_read_verdicts_reads_every_file(figs):
    rows = report.read_verdicts(figs)
    assert [r["experiment"] for r in rows] == ["e1", "e1", "e2", "ghost"]


def test_read_verdicts_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="directory"):
        report.read_verdicts(tmp_path / "missing")
    (tmp_path / "x_verdicts.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="x_verdicts.csv lacks the columns"):
        report.read_verdicts(tmp_path)


def test_glance_counts_each_verdict_per_family(figs):
    families = {"fam": [_exp("e1")], "other": [_exp("e2")]}
    table = report.glance_table(report.read_verdicts(figs), families).splitlines()
    assert table[2] == "| fam | 2 | 1 | 0 | 0 | 0 | 1 | t.a.rate (FAIL) |"
    assert table[3] == "| other | 1 | 0 | 1 | 0 | 0 | 0 | t.b.level (INCONCLUSIVE) |"
    # the total counts only experiments of known families (not 'ghost')
    assert table[4].startswith("| **all** | 3 | 1 | 1 | 0 | 0 | 1 |")


def test_verdict_table_lists_each_check_with_its_ci(figs):
    table = report.verdict_table(report.read_verdicts(figs), [_exp("e1")])
    lines = table.splitlines()
    assert len(lines) == 4
    assert "| -0.500 [-0.550, -0.450] |" in lines[2] and "**PASS**" in lines[2]
    assert "**FAIL**" in lines[3] and "-0.100" in lines[3]
    assert "2.00 decades \\| 5 points" in lines[2]          # a '|' in a cell is escaped


def test_catalogue_and_gallery(figs):
    th = Theorem(id="t.a.rate", paper="A, B (2020)", arxiv="1234.5678", number="Theorem 2",
                 statement="rate", quantity="q", sweep_variable="n", kind="rate", exponent=-0.5)
    fig = Figure(name="rate", x="n", metrics={"m": "m"}, theorem="t.a.rate", title="The rate")
    families = {"fam": [_exp("e1", figures=[fig, Figure(name="absent", x="n", metrics={})])]}
    cat = report.theorem_catalogue(report.read_verdicts(figs), families, "../pf/",
                                   theorems={th.id: th})
    assert ":::{prf:theorem} Theorem 2\n:label: thm-t-a-rate" in cat
    assert "1 PASS, 1 FAIL" in cat and "![The rate](../pf/e1_rate.png)" in cat
    (figs / "fam_simplex.png").write_bytes(b"png")          # drawn by the family's own script
    gal = report.gallery(families, figs, "x/")
    assert "![The rate](x/e1_rate.png)" in gal and "e1_absent" not in gal
    assert "`rlth check e1 --profile full`" in gal
    assert gal.count("### e1_rate") == 1                       # not listed twice
    outside = gal.split("## Figures drawn outside the harness")[1]
    assert "![fam_simplex](x/fam_simplex.png)" in outside
    assert "`python experiments/fam.py`" in outside


def test_fidelity_summary_counts_tags():
    ths = {t.id: t for t in [
        Theorem(id="f.a", paper="Z, Y (2021)", arxiv="1", number="1", statement="", quantity="",
                sweep_variable="n", kind="upper", exponent=None, provenance="[V] rate, [D] level"),
        Theorem(id="f.b", paper="Z, Y (2021)", arxiv="1", number="2", statement="", quantity="",
                sweep_variable="n", kind="upper", exponent=None, provenance="[V3]")]}
    line = report.fidelity_summary(ths).splitlines()[2]
    assert line == "| f | Z et al. (2021), arXiv 1 | 2 | 1 | 1 | 0 | 1 |"


def test_cli_report_errors_exit_2(tmp_path, capsys):
    assert cli.main(["report", "verdicts"]) == 2
    assert "needs a family" in capsys.readouterr().err
    assert cli.main(["report", "glance", "--figures-dir", str(tmp_path / "nope")]) == 2
    assert "--figures-dir" in capsys.readouterr().err


def test_cli_report_writes_the_committed_glance(tmp_path):
    out = tmp_path / "g.md"
    assert cli.main(["report", "glance", "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("| family | checks |") and "| lcb |" in text
