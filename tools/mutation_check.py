#!/usr/bin/env python
"""Mutation check of the slips listed in issue 17 ("Tests that catch a plausible slip").

Each mutant is (id, file, original snippet, mutated snippet, test files that must kill it).
For every mutant, one at a time: copy the repository (without .venv, .git, caches) to a
temporary directory, check that the original snippet occurs exactly once in the file, replace it,
and run ``python -m pytest -q -p no:cacheprovider -x <test files>`` in the copy with
``PYTHONPATH=<copy>`` (after checking that the copy's ``rlth`` is the one imported).  A mutant
is *killed* when pytest fails.  Before the mutants, the same tests are run on the unmutated copy
(they must pass, or every kill would be meaningless).

Usage (slow: a few minutes; not part of the test suite)::

    python tools/mutation_check.py            # all mutants
    python tools/mutation_check.py rates-     # only mutants whose id starts with "rates-"
    python tools/mutation_check.py --list

Exit status 0 when every mutant is killed and the baseline passes, else 1.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXCLUDE = {".venv", ".git", "__pycache__", ".rlth_results", ".pytest_cache", ".hypothesis",
           "paper_figures", "build", "dist"}

RATES = "tests/harness/test_rates_pinned.py"
SWEEP = "tests/harness/test_sweep_seeds_golden.py"
ROLL = "tests/data/test_rollout_stages.py"
LCB = "tests/families/lcb/test_vi_lcb_rules.py"
COUPLE = "tests/families/stepmix/test_coupling_bound.py"

# (id, file, original, mutated, tests)
MUTANTS = [
    ("rates-ci-level-90", "rlth/rates.py",
     "level: float = 0.95, rng=0, quantile=None) -> SlopeFit:",
     "level: float = 0.90, rng=0, quantile=None) -> SlopeFit:", [RATES]),
    ("rates-ci-alpha-90", "rlth/rates.py",
     "    alpha = (1 - level) / 2\n",
     "    alpha = (1 - (level - 0.05)) / 2\n", [RATES]),
    ("rates-boot-skip-last", "rlth/rates.py",
     "idx = rng.integers(0, n, size=(stop - start, n))",
     "idx = rng.integers(0, max(n - 1, 1), size=(stop - start, n))", [RATES]),
    ("rates-upper-on-ci-low", "rlth/rates.py",
     "ok = fit.slope <= a_hi",
     "ok = fit.ci_low <= a_hi", [RATES]),
    ("rates-lower-on-ci-high", "rlth/rates.py",
     "ok = fit.slope >= a_lo",
     "ok = fit.ci_high >= a_lo", [RATES]),
    ("rates-upper-strict", "rlth/rates.py",
     "ok = fit.slope <= a_hi",
     "ok = fit.slope < a_hi", [RATES]),
    ("rates-width-ge", "rlth/rates.py",
     "if fit.ci_width > MAX_CI_WIDTH:",
     "if fit.ci_width >= MAX_CI_WIDTH:", [RATES]),
    ("rates-clear-fail-ge", "rlth/rates.py",
     "if fit.ci_low > a_hi or fit.ci_high < a_lo:",
     "if fit.ci_low >= a_hi or fit.ci_high <= a_lo:", [RATES]),
    ("rates-bound-upper-lt", "rlth/rates.py",
     "ok = means[idx_reg] <= bvals",
     "ok = means[idx_reg] < bvals", [RATES]),
    ("rates-ref-z-5", "rlth/rates.py",
     "REFERENCE_Z = 5.5 ",
     "REFERENCE_Z = 5.0 ", [RATES]),
    ("sweep-hash-big-endian", "rlth/sweep.py",
     'return int.from_bytes(digest[:8], "little"), int(replicate)',
     'return int.from_bytes(digest[:8], "big"), int(replicate)', [SWEEP]),
    ("sweep-hash-last-bytes", "rlth/sweep.py",
     'return int.from_bytes(digest[:8], "little"), int(replicate)',
     'return int.from_bytes(digest[-8:], "little"), int(replicate)', [SWEEP]),
    ("rollout-reward-stage-from-P", "rlth/data/episodes.py",
     "hr = h if R.shape[0] > 1 else 0",
     "hr = h if n_p > 1 else 0", [ROLL]),          # n_p: number of P stages (dense or CSR)
    ("rollout-P-stage-from-R", "rlth/data/episodes.py",
     "hp = h if n_p > 1 else 0",
     "hp = h if R.shape[0] > 1 else 0", [ROLL]),
    ("online-value-reward-stage-from-P", "rlth/_kernels/dp.py",
     "def policy_value_kernel(P_stages, R_stages, H, pi, rho):",
     None, [ROLL]),     # patched below (the slip is inside the function body)
    ("online-optimistic-reward-stage-from-P", "rlth/algorithms/online/_kernels.py",
     "def optimistic_q(R, n_sa, n_sas, n_hs, Q_prev, H, bonus_type, c_bonus, L, Vbar, pibar,",
     None, [ROLL]),
    ("vi-lcb-improve-ge", "rlth/algorithms/offline/lcb.py",
     "if best_q > V[s]:",
     "if best_q >= V[s]:", [LCB]),
    ("vi-lcb-delta-one-fold", "rlth/algorithms/offline/lcb.py",
     "n = n_total if n_samples is None else ",
     "n = int(folds[0].n_samples) if n_samples is None else ", [LCB]),
    ("stepmix-coupling-H-minus-1", "rlth/algorithms/online/_kernels.py",
     "c = (1.0 - x) ** H * v_couple",
     "c = (1.0 - x) ** (H - 1) * v_couple", [COUPLE]),
    ("stepmix-coupling-H-plus-1", "rlth/algorithms/online/_kernels.py",
     "c = (1.0 - x) ** H * v_couple",
     "c = (1.0 - x) ** (H + 1) * v_couple", [COUPLE]),
]


def _patch_in_function(text: str, header: str, old: str, new: str) -> str:
    """Replace the first ``old`` after ``header`` (a slip inside one function's body)."""
    i = text.index(header)
    j = text.index(old, i)
    return text[:j] + new + text[j + len(old):]


# mutants whose slip is a line that occurs in several functions: (header, old, new)
IN_FUNCTION = {
    "online-value-reward-stage-from-P": ("hr = h if R_stages.shape[0] > 1 else 0",
                                         "hr = h if P_stages.shape[0] > 1 else 0"),
    "online-optimistic-reward-stage-from-P": ("hr = h if R.shape[0] > 1 else 0",
                                              "hr = h if Hc > 1 else 0"),
}


def _copy_repo(dst: Path) -> None:
    def ignore(_dir, names):
        return [n for n in names if n in EXCLUDE]
    shutil.copytree(ROOT, dst, ignore=ignore, symlinks=True)


# the environment and import check of the generated-mutant sweep (same copy layout)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutation_sweep import _check_import, _env  # noqa: E402


def _pytest(copy: Path, tests) -> tuple[int, str]:
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    out = subprocess.run(cmd, cwd=copy, env=_env(copy), capture_output=True, text=True)
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    tail = lines[-1] if lines else ""
    failed = [ln.split(" - ")[0].replace("FAILED ", "") for ln in lines
              if ln.startswith("FAILED ")]
    if failed:
        tail += " by " + failed[0].split("::", 1)[-1]
    if out.returncode < 0 or "Fatal Python error" in out.stderr:
        tail = f"crash (rc {out.returncode}): " + next(
            (ln for ln in out.stderr.splitlines() if "Fatal" in ln or "Error" in ln), "")
    elif out.returncode not in (0, 1):
        tail = f"pytest rc {out.returncode}: {tail}"
    return out.returncode, tail


def _apply(copy: Path, mid, fname, old, new) -> None:
    path = copy / fname
    text = path.read_text()
    if mid in IN_FUNCTION:
        o, n = IN_FUNCTION[mid]
        if text.count(old) != 1 or o not in text:
            return f"function header or line not found in {fname} (update the mutant)"
        text = _patch_in_function(text, old, o, n)
    else:
        if text.count(old) != 1:
            return (f"original snippet occurs {text.count(old)} times in {fname} "
                    "(the code changed; update the mutant)")
        text = text.replace(old, new)
    path.write_text(text)
    return None


def main(argv) -> int:
    if "--list" in argv:
        for m in MUTANTS:
            print(m[0], m[1], "->", ", ".join(m[4]))
        return 0
    prefixes = [a for a in argv if not a.startswith("-")]
    mutants = [m for m in MUTANTS if not prefixes or any(m[0].startswith(p) for p in prefixes)]
    all_tests = sorted({t for m in mutants for t in m[4]})
    with tempfile.TemporaryDirectory(prefix="rlth_mut_") as tmp:
        base = Path(tmp) / "base"
        _copy_repo(base)
        _check_import(base)
        t0 = time.time()
        rc, tail = _pytest(base, all_tests)
        print(f"baseline (unmutated copy): {'pass' if rc == 0 else 'FAIL'}  [{tail}] "
              f"({time.time() - t0:.0f}s)", flush=True)
        if rc != 0:
            print("the tests fail on the unmutated code: kills would be meaningless")
            return 1
        killed = stale = 0
        for mid, fname, old, new, tests in mutants:
            copy = Path(tmp) / mid
            _copy_repo(copy)
            _check_import(copy)
            err = _apply(copy, mid, fname, old, new)
            if err:
                print(f"{mid:42s} {fname:38s} {'STALE':8s} [{err}]", flush=True)
                stale += 1
                shutil.rmtree(copy, ignore_errors=True)
                continue
            t0 = time.time()
            rc, tail = _pytest(copy, tests)
            status = "killed" if rc == 1 or rc < 0 else ("SURVIVED" if rc == 0 else "ERROR")
            killed += rc == 1 or rc < 0
            print(f"{mid:42s} {fname:38s} {status:8s} [{tail}] ({time.time() - t0:.0f}s)",
                  flush=True)
            shutil.rmtree(copy, ignore_errors=True)
        n = len(mutants) - stale
        print(f"kill rate: {killed}/{n} = {100.0 * killed / max(n, 1):.1f}%"
              + (f" ({stale} stale mutants not applied)" if stale else ""))
        return 0 if killed == n and not stale else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
