"""The versions lock of the committed figures: round trip, difference report, CLI warning."""
from pathlib import Path

import pytest

from rlth import cli
from rlth.store import (RESULT_PACKAGES, VERSIONS_LOCK, current_versions, read_versions_lock,
                        versions_differ, write_versions_lock)

REPO = Path(__file__).resolve().parents[2]


def test_round_trip_and_difference(tmp_path):
    path = write_versions_lock(tmp_path / "v.lock")
    locked = read_versions_lock(path)
    cur = current_versions()
    assert locked["python"] == cur["python"]
    assert set(locked) == {"python"} | {k for k in RESULT_PACKAGES if cur[k] is not None}
    assert versions_differ(locked) == []
    locked["numpy"] = "0.0.1"
    assert versions_differ(locked) == [f"numpy 0.0.1 -> {cur['numpy']}"]


def test_bad_lock_line_names_the_line(tmp_path):
    p = tmp_path / "v.lock"
    p.write_text("# comment\nnumpy 2.0\n")
    with pytest.raises(ValueError, match="line 2"):
        read_versions_lock(p)


def test_committed_lock_parses_and_names_the_core_packages():
    locked = read_versions_lock(REPO / "paper_figures" / VERSIONS_LOCK)
    assert {"python", "numpy", "scipy", "numba"} <= set(locked)


def test_full_profile_warns_on_a_version_mismatch(tmp_path, capsys):
    figs = tmp_path / "figs"
    figs.mkdir()
    write_versions_lock(figs / VERSIONS_LOCK, {**current_versions(), "numpy": "0.0.1"})

    class Args:
        profile, figures_dir = "full", str(figs)
    cli._warn_versions(Args)
    assert "numpy 0.0.1 ->" in capsys.readouterr().err
    write_versions_lock(figs / VERSIONS_LOCK)
    cli._warn_versions(Args)
    assert capsys.readouterr().err == ""
    Args.profile = "quick"                       # only the full profile is compared
    write_versions_lock(figs / VERSIONS_LOCK, {**current_versions(), "numpy": "0.0.1"})
    cli._warn_versions(Args)
    assert capsys.readouterr().err == ""
