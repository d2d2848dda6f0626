#!/usr/bin/env python
"""Sweep of *generated* mutants over rlth's core modules (issue 17, mutation testing).

Mutants are generated with :mod:`ast` from the source of each core module (see ``MODULES``):

========  ===========================================================================
operator  edit
========  ===========================================================================
``cmp``   one comparison flipped at its boundary: ``<``/``<=``, ``>``/``>=``, ``==``/``!=``,
          ``is``/``is not``, ``in``/``not in``
``arith`` ``+``/``-``, ``*``/``/`` in a binary operation or an augmented assignment
``const`` a numeric constant: ``0 -> 1``, ``1 -> 0``, other ints ``n -> n + 1``, floats ``x -> 2x``
``bool``  ``and``/``or`` swapped; ``not x -> x``
``minmax`` ``min``/``max`` (and ``np.min/np.max``, ``np.minimum/np.maximum``, ``argmin/argmax``)
``return`` ``return <expr>`` -> ``return None`` (plain Python functions only)
``slice`` a slice bound off by one (upper ``u -> u - 1``, else lower ``l -> l + 1``)
========  ===========================================================================

Never mutated: docstrings and other strings, the arguments of ``raise`` (error messages; the guard
*condition* above a ``raise`` is mutated), ``warnings.warn``/``logging``/``print`` calls, type
annotations, decorators, imports, ``__all__``.  From every module's candidates a fixed number is
drawn deterministically (a :class:`random.Random` seeded by the module path, round-robin over the
operators), so the same source gives the same mutants.  A mutant's id is
``file:line:col:operator`` (line and column of the mutated node in the copy's source).

Each mutant runs in ONE persistent working copy (``--copy``, default ``/tmp/rlth_mut``), taken once
at the start (without ``.venv``, ``.git``, results, figures and caches): write the mutated file,
run ``python -m pytest -x -q -p no:cacheprovider <covering tests>`` with ``PYTHONPATH=<copy>``
(after checking that the copy's ``rlth`` is the one imported) and a timeout, restore the file
(bytes and modification time).  pytest failing, a crash or the timeout (counted as killed and
reported as ``timeout``) kill the mutant.  Before the mutants the unmutated copy must pass every
mapped test file (the baseline), else kills would be meaningless.

Numba: the copy's on-disk cache (``NUMBA_CACHE_DIR=<copy>/.numba_cache``) is kept between mutants,
so unmutated modules stay compiled.  Numba does not invalidate a cached caller when a jitted
callee in *another* file changes, so before a mutant of a file with jitted code the cache entries
of that file and of every file that imports from it are deleted, and after it the cache is put
back from the snapshot taken after the baseline.

Usage (slow; not part of the test suite)::

    python tools/mutation_sweep.py                 # the sweep -> tools/mutation_results.json
    python tools/mutation_sweep.py --list          # the mutants, not run
    python tools/mutation_sweep.py --module rates  # modules whose path contains "rates"
    python tools/mutation_sweep.py --ids ID ...    # re-run the given ids (merged into the results)
    python tools/mutation_sweep.py --reuse         # keep an existing copy, refresh only its tests/

The classification of survivors (equivalent or not, and why) is kept in ``EQUIVALENT`` below
and in docs/explanation/mutation_testing.md.
"""
from __future__ import annotations

import argparse
import ast
import copy as _copy
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXCLUDE = {".venv", ".git", "__pycache__", ".rlth_results", ".pytest_cache", ".hypothesis",
           "paper_figures", "build", "dist", ".numba_cache", "_build"}
RESULTS = ROOT / "tools" / "mutation_results.json"
SEED = 17

_H = "tests/harness/"
_S = "tests/solvers/"
_D = "tests/data/"
_F = "tests/families/"
# module -> (covering test files, number of mutants drawn).  ``test_mutants_<stem>.py`` and
# ``test_mutants_<parent>_<stem>.py`` files under tests/ (leading underscores dropped) are added
# automatically, e.g. tests/solvers/test_mutants_kernels_dp.py for rlth/_kernels/dp.py.
MODULES: dict[str, tuple[list[str], int]] = {
    "rlth/rates.py": ([_H + "test_rates_pinned.py", _H + "test_rates.py",
                       _H + "test_sample_complexity.py", _H + "test_quantiles.py",
                       _H + "test_theorem_statistics.py"], 16),
    "rlth/sweep.py": ([_H + "test_sweep_seeds_golden.py", _H + "test_sweep.py"], 10),
    "rlth/store.py": ([_H + "test_store_robustness.py", _H + "test_sweep.py",
                       _H + "test_versions_lock.py"], 8),
    "rlth/solvers/dp.py": ([_S + "test_dp.py", _S + "test_certificates.py"], 8),
    "rlth/solvers/_backward.py": ([_S + "test_dp.py", _S + "test_peers_dp.py"], 5),
    "rlth/solvers/occupancy.py": ([_S + "test_dp.py"], 5),
    "rlth/solvers/games.py": ([_S + "test_games.py"], 6),
    "rlth/solvers/lp.py": ([_S + "test_lp.py", _S + "test_certificates.py"], 6),
    "rlth/_kernels/dp.py": ([_S + "test_dp.py", _D + "test_rollout_stages.py"], 8),
    "rlth/_kernels/sampling.py": ([_D + "test_data.py", _D + "test_rollout_stages.py"], 5),
    "rlth/data/offline.py": ([_D + "test_data.py", _F + "lcb/test_vi_lcb_rules.py",
                              _D + "test_data_seeding.py"], 5),
    "rlth/data/episodes.py": ([_D + "test_data.py", _D + "test_rollout_stages.py",
                               _D + "test_trajectory_counts.py"], 5),
    "rlth/algorithms/offline/lcb.py": ([_F + "lcb/test_vi_lcb_rules.py", _F + "lcb/test_vi_lcb.py",
                                        _F + "lcb/test_lcb.py"], 8),
    "rlth/algorithms/online/ucbvi.py": ([_F + "stepmix/test_ucbvi.py",
                                         _F + "stepmix/test_online.py"], 6),
    "rlth/algorithms/online/stepmix.py": ([_F + "stepmix/test_stepmix.py",
                                           _F + "stepmix/test_coupling_bound.py"], 6),
    "rlth/algorithms/online/_kernels.py": ([_F + "stepmix/test_coupling_bound.py",
                                            _F + "stepmix/test_ucbvi.py",
                                            _F + "stepmix/test_stepmix.py",
                                            _F + "stepmix/test_stepmix_advantage.py",
                                            _F + "stepmix/test_kernels_without_jit.py"], 8),
    "rlth/algorithms/preference/nash_md.py": ([_F + "nash_md/test_nash_md.py",
                                               _F + "nash_md/test_preference_dynamics.py"], 6),
}

# id -> reason the mutant is equivalent (no observable behaviour changes).  Filled from the
# examination of the survivors; see docs/explanation/mutation_testing.md.
EQUIVALENT: dict[str, str] = {
    "rlth/sweep.py:504:25:minmax":
        "performance only: chunks of one run instead of ~8 tasks per worker; records are "
        "independent of the chunking by design (seeds are keyed by point and replicate)",
    "rlth/sweep.py:521:67:const":
        "performance only: loky workers may use 2 BLAS/OpenMP threads instead of 1; the numbers "
        "do not change (numba is pinned to 1 thread in workers by _run_chunk)",
    "rlth/solvers/_backward.py:108:17:const":
        "performance only: the longest speculative block is 65 instead of 64 stages; every "
        "block is verified, values agree to rounding",
    "rlth/solvers/_backward.py:145:20:minmax":
        "performance and memory only: speculative blocks grow without the cap; every block is "
        "verified before it is kept, so V, Q and pi agree to rounding",
    "rlth/_kernels/sampling.py:181:7:bool":
        "compilation only: read-only rows reach the kernel uncopied (numba compiles a second, "
        "read-only signature) and writeable ones are copied; the kernel never writes its input, "
        "so the tables are the same",
    "rlth/algorithms/online/_kernels.py:96:27:cmp":
        "adds exact zeros: with c == 0 the terms p v and p v^2 are 0.0 (Vbar is finite, in "
        "[0, H]), and x + 0.0 == x in IEEE arithmetic",
    "rlth/algorithms/online/stepmix.py:208:11:cmp":
        "hi - lo is always a power of two (bisection of [0, 1]) and the default tol 1e-12 is "
        "not, so the two tests agree; with a power-of-two tol the mutant stops one halving "
        "earlier, still within the documented accuracy (hi - lo <= tol)",
}
# non-equivalent survivors that no test here kills (documented, counted as survivors)
UNREACHABLE: dict[str, str] = {
    "rlth/solvers/dp.py:701:15:cmp":
        "differs only when tol equals the computed rounding floor rho bit for bit (then a "
        "ValueError becomes a RuntimeError after max_iter sweeps)",
}

_CMP_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
             ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
             ast.In: ast.NotIn, ast.NotIn: ast.In}
_ARITH_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
_MINMAX = {"min": "max", "max": "min", "minimum": "maximum", "maximum": "minimum",
           "argmin": "argmax", "argmax": "argmin", "amin": "amax", "amax": "amin",
           "nanmin": "nanmax", "nanmax": "nanmin"}
_QUIET_CALLS = {"warn", "print", "debug", "info", "warning", "error", "exception", "critical"}
OPERATORS = ("cmp", "arith", "const", "bool", "minmax", "return", "slice")


@dataclass
class Mutant:
    id: str
    module: str
    operator: str
    line: int
    col: int
    end_line: int
    end_col: int
    original: str       # the source segment replaced
    replacement: str    # what replaces it
    original_line: str = ""
    mutated_line: str = ""


# ------------------------------------------------------------------------------- generation
def _is_jitted(fn: ast.AST) -> bool:
    for d in getattr(fn, "decorator_list", []):
        name = ast.unparse(d)
        if "njit" in name or "jit(" in name or name.endswith("jit"):
            return True
    return False


class _Collector(ast.NodeVisitor):
    """Walk a module and list (node, operator, replacement-node) candidates."""

    def __init__(self):
        self.cands: list[tuple[ast.AST, str, ast.AST]] = []
        self._jit = [False]

    # -- skipped subtrees
    def visit_Import(self, node):
        pass

    visit_ImportFrom = visit_Import

    def visit_Raise(self, node):
        pass

    def visit_JoinedStr(self, node):
        pass

    def visit_Assert(self, node):
        pass

    def visit_Expr(self, node):
        v = node.value
        if isinstance(v, ast.Constant) and isinstance(v.value, str):
            return                                  # docstring / bare string
        if isinstance(v, ast.Call) and self._quiet(v):
            return                                  # warnings.warn / logging / print
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)

    def visit_Assign(self, node):
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return
        self.generic_visit(node)

    def _visit_fn(self, node):
        for a in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(a)
        self._jit.append(_is_jitted(node) or self._jit[-1])
        for st in node.body:
            self.visit(st)
        self._jit.pop()

    visit_FunctionDef = _visit_fn
    visit_AsyncFunctionDef = _visit_fn

    def visit_ClassDef(self, node):
        for st in node.body:
            self.visit(st)

    def visit_Lambda(self, node):
        self.visit(node.body)

    @staticmethod
    def _quiet(call: ast.Call) -> bool:
        f = call.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        return name in _QUIET_CALLS

    def visit_Call(self, node):
        if self._quiet(node):
            return
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        if name in _MINMAX and (isinstance(f, ast.Name) and name in ("min", "max")
                                or isinstance(f, ast.Attribute)):
            new = _copy.deepcopy(node)
            if isinstance(new.func, ast.Attribute):
                new.func.attr = _MINMAX[name]
            else:
                new.func.id = _MINMAX[name]
            self.cands.append((node, "minmax", new))
        self.generic_visit(node)

    # -- mutated nodes
    def visit_Compare(self, node):
        if len(node.ops) == 1 and type(node.ops[0]) in _CMP_FLIP:
            new = _copy.deepcopy(node)
            new.ops = [_CMP_FLIP[type(node.ops[0])]()]
            self.cands.append((node, "cmp", new))
        self.generic_visit(node)

    def visit_BinOp(self, node):
        if type(node.op) in _ARITH_SWAP and not self._stringy(node):
            new = _copy.deepcopy(node)
            new.op = _ARITH_SWAP[type(node.op)]()
            self.cands.append((node, "arith", new))
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        if type(node.op) in _ARITH_SWAP:
            new = _copy.deepcopy(node)
            new.op = _ARITH_SWAP[type(node.op)]()
            self.cands.append((node, "arith", new))
        self.generic_visit(node)

    @staticmethod
    def _stringy(node) -> bool:
        return any(isinstance(n, (ast.JoinedStr,)) or
                   (isinstance(n, ast.Constant) and isinstance(n.value, (str, bytes)))
                   for n in (node.left, node.right))

    def visit_Constant(self, node):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return
        if isinstance(v, int):
            nv = 1 if v == 0 else (0 if v == 1 else v + 1)
        else:
            nv = 1.0 if v == 0.0 else v * 2
        self.cands.append((node, "const", ast.Constant(nv)))

    def visit_BoolOp(self, node):
        new = _copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        self.cands.append((node, "bool", new))
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, ast.Not):
            self.cands.append((node, "bool", _copy.deepcopy(node.operand)))
        self.generic_visit(node)

    def visit_Return(self, node):
        if node.value is not None and not self._jit[-1] and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            self.cands.append((node, "return", ast.Return(value=ast.Constant(None))))
        self.generic_visit(node)

    def visit_Slice(self, node):
        if node.upper is not None:
            new = _copy.deepcopy(node)
            new.upper = ast.BinOp(left=node.upper, op=ast.Sub(), right=ast.Constant(1))
            self.cands.append((node, "slice", new))
        elif node.lower is not None:
            new = _copy.deepcopy(node)
            new.lower = ast.BinOp(left=node.lower, op=ast.Add(), right=ast.Constant(1))
            self.cands.append((node, "slice", new))
        self.generic_visit(node)


def _render(node: ast.AST, new: ast.AST) -> str:
    src = ast.unparse(new)
    if isinstance(node, (ast.Return, ast.AugAssign)):
        return src
    if isinstance(node, ast.Slice):
        return src
    return "(" + src + ")"


def generate(module: str, source: str, n: int) -> list[Mutant]:
    """Candidates of one module, then ``n`` of them drawn deterministically (round-robin over
    the operators in a seeded order)."""
    tree = ast.parse(source)
    col = _Collector()
    col.visit(tree)
    lines = source.splitlines()
    by_op: dict[str, list[Mutant]] = {op: [] for op in OPERATORS}
    seen = set()
    for node, op, new in col.cands:
        if getattr(node, "end_lineno", None) is None:
            continue
        mid = f"{module}:{node.lineno}:{node.col_offset}:{op}"
        if mid in seen:
            continue
        seen.add(mid)
        m = Mutant(id=mid, module=module, operator=op, line=node.lineno, col=node.col_offset,
                   end_line=node.end_lineno, end_col=node.end_col_offset,
                   original=ast.get_source_segment(source, node) or "",
                   replacement=_render(node, new))
        m.original_line = lines[node.lineno - 1].strip()
        mutated = apply_text(source, m).splitlines()
        m.mutated_line = mutated[node.lineno - 1].strip() if node.lineno <= len(mutated) else ""
        try:
            compile(apply_text(source, m), module, "exec")
        except SyntaxError:
            continue
        by_op[op].append(m)
    rng = random.Random(f"{SEED}:{module}")
    for op in OPERATORS:
        rng.shuffle(by_op[op])
    order = list(OPERATORS)
    rng.shuffle(order)
    picked: list[Mutant] = []
    while len(picked) < n and any(by_op[op] for op in order):
        for op in order:
            if by_op[op] and len(picked) < n:
                picked.append(by_op[op].pop())
    return sorted(picked, key=lambda m: (m.line, m.col, m.operator))


def _offset(source: str, line: int, col: int) -> int:
    """Character offset of (1-based line, utf-8 byte column) in ``source``."""
    lines = source.splitlines(keepends=True)
    pre = sum(len(x) for x in lines[:line - 1])
    return pre + len(lines[line - 1].encode()[:col].decode())


def apply_text(source: str, m: Mutant) -> str:
    a = _offset(source, m.line, m.col)
    b = _offset(source, m.end_line, m.end_col)
    assert source[a:b] == m.original, (m.id, source[a:b], m.original)
    return source[:a] + m.replacement + source[b:]


# ------------------------------------------------------------------------------- running
def _copy_repo(dst: Path) -> None:
    def ignore(_dir, names):
        return [n for n in names if n in EXCLUDE]
    shutil.copytree(ROOT, dst, ignore=ignore, symlinks=True)
    _copy_lock(dst)


def _copy_lock(dst: Path) -> None:
    """The figures' versions lock (a test reads it); the figures themselves are not copied."""
    lock = ROOT / "paper_figures" / "versions.lock"
    if lock.is_file():
        (dst / "paper_figures").mkdir(exist_ok=True)
        shutil.copy2(lock, dst / "paper_figures" / "versions.lock")


def _syntax_errors(copy: Path) -> list[str]:
    bad = []
    for p in (copy / "rlth").rglob("*.py"):
        try:
            compile(p.read_text(), str(p), "exec")
        except SyntaxError:
            bad.append(str(p.relative_to(copy)))
    return bad


def _env(copy: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                     else "")
    env["NUMBA_CACHE_DIR"] = str(copy / ".numba_cache")
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("NUMBA_DISABLE_JIT", None)
    return env


def _check_import(copy: Path) -> None:
    out = subprocess.run([sys.executable, "-c", "import rlth; print(rlth.__file__)"],
                         cwd=copy, env=_env(copy), capture_output=True, text=True)
    path = Path(out.stdout.strip()).resolve()
    if copy.resolve() not in path.parents:
        raise SystemExit(f"the copy is not the rlth imported (got {path!r}); aborting")


def _pytest(copy: Path, tests, timeout: float) -> tuple[str, str, float]:
    """Run the tests; returns (status, one-line detail, seconds) with status in
    pass / fail / timeout / crash / error."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    t0 = time.time()
    proc = subprocess.Popen(cmd, cwd=copy, env=_env(copy), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except BaseException as exc:        # timeout or interrupt: end pytest and its children
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        if isinstance(exc, subprocess.TimeoutExpired):
            return "timeout", f"no result within {timeout:.0f}s", time.time() - t0
        raise
    out = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    dt = time.time() - t0
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    tail = lines[-1] if lines else ""
    failed = [ln.split(" - ")[0].replace("FAILED ", "").replace("ERROR ", "")
              for ln in lines if ln.startswith(("FAILED ", "ERROR "))]
    if failed:
        tail += " by " + failed[0]
    if out.returncode < 0 or "Fatal Python error" in out.stderr:
        return "crash", f"rc {out.returncode}", dt
    if out.returncode == 0:
        return "pass", tail, dt
    if out.returncode == 1:
        return "fail", tail, dt
    return "error", f"pytest rc {out.returncode}: {tail}", dt


def _tests_for(copy: Path, module: str) -> list[str]:
    tests = list(MODULES[module][0])
    stem = Path(module).stem.lstrip("_")
    parent = Path(module).parent.name.lstrip("_")
    extra = sorted(str(p.relative_to(copy)) for name in (stem, f"{parent}_{stem}")
                   for p in (copy / "tests").rglob(f"test_mutants_{name}.py"))
    return tests + [t for t in extra if t not in tests]


def _jit_files(copy: Path) -> dict[str, set[str]]:
    """Files with jitted code -> the set of rlth files (with jitted code) importing from them."""
    jitted = {}
    for p in (copy / "rlth").rglob("*.py"):
        text = p.read_text()
        if "njit" in text or "@jit" in text:
            jitted[str(p.relative_to(copy))] = text
    deps: dict[str, set[str]] = {f: set() for f in jitted}
    for f, text in jitted.items():
        tree = ast.parse(text)
        pkg = Path(f).parent
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                base = pkg
                for _ in range(node.level - 1):
                    base = base.parent
                target = base.joinpath(*(node.module or "").split(".")).with_suffix(".py")
                t = str(target)
                if t in deps and t != f:
                    deps[t].add(f)
    return deps


def _cache_entries(copy: Path, files) -> list[Path]:
    cache = copy / ".numba_cache"
    out = []
    for f in files:
        stem = Path(f).stem
        for p in cache.rglob(f"{stem}.*"):
            if p.suffix in (".nbi", ".nbc") and p.parent.name == Path(f).parent.name:
                out.append(p)
    return out


def run_mutant(copy: Path, m: Mutant, tests, timeout, jit_deps, counter) -> dict:
    path = copy / m.module
    raw = path.read_bytes()
    st = os.stat(path)
    source = raw.decode()
    jit = m.module in jit_deps
    if jit:
        for p in _cache_entries(copy, {m.module} | jit_deps[m.module]):
            p.unlink()
    try:
        path.write_text(apply_text(source, m))
        # a distinct mtime: neither the .pyc nor numba's index may take the mutant for the original
        t = st.st_mtime + 10 + counter
        os.utime(path, (t, t))
        status, detail, dt = _pytest(copy, tests, timeout)
    finally:
        path.write_bytes(raw)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        if jit:
            shutil.rmtree(copy / ".numba_cache", ignore_errors=True)
            shutil.copytree(copy.parent / (copy.name + "_numba_cache"), copy / ".numba_cache")
    result = {"pass": "survived", "fail": "killed", "crash": "killed", "timeout": "timeout",
              "error": "killed"}[status]
    rec = asdict(m)
    rec.update(status=result, detail=detail, seconds=round(dt, 1), tests=tests)
    return rec


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copy", default="/tmp/rlth_mut")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--module", action="append", default=[])
    ap.add_argument("--ids", nargs="*", default=None)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--resume", action="store_true",
                    help="skip the mutants already in the results file (implies --reuse)")
    ap.add_argument("--timeout-factor", type=float, default=4.0)
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--report", action="store_true",
                    help="print the summary and a Markdown table of the survivors of the "
                         "results file, run nothing")
    args = ap.parse_args(argv)
    if args.report:
        return report(Path(args.out))
    copy = Path(args.copy)
    signal.signal(signal.SIGTERM, _sigterm)     # so that the mutated file is always restored
    args.reuse = args.reuse or args.resume
    if args.reuse and (copy / "rlth").is_dir():
        shutil.rmtree(copy / "tests")
        shutil.copytree(ROOT / "tests", copy / "tests",
                        ignore=lambda d, names: [n for n in names if n in EXCLUDE])
        _copy_lock(copy)
    else:
        for attempt in range(10):   # other people edit the tree: retry a half-written file
            if copy.exists():
                shutil.rmtree(copy)
            _copy_repo(copy)
            bad = _syntax_errors(copy)
            if not bad:
                break
            print(f"copy has syntax errors in {bad}; retrying in 30 s", flush=True)
            time.sleep(30)
        else:
            raise SystemExit("could not take a copy of the tree that compiles")
    _check_import(copy)

    modules = [m for m in MODULES if not args.module or any(s in m for s in args.module)]
    mutants = []
    for mod in modules:
        n = MODULES[mod][1] if args.ids is None else 10 ** 9     # --ids: any candidate
        mutants += generate(mod, (copy / mod).read_text(), n)
    if args.ids is not None:
        want = set(args.ids)
        mutants = [m for m in mutants if m.id in want]
        missing = want - {m.id for m in mutants}
        if missing:
            print("ids not generated from the copy's source (code changed?):", sorted(missing))
    if args.list:
        for m in mutants:
            print(f"{m.id:55s} {m.original_line[:50]!r} -> {m.mutated_line[:50]!r}")
        print(len(mutants), "mutants")
        return 0

    out = Path(args.out)
    old = (json.loads(out.read_text())["mutants"]
           if ((args.ids is not None or args.resume) and out.exists()) else [])
    merged = {r["id"]: r for r in old}
    if args.resume:
        mutants = [m for m in mutants if m.id not in merged]

    # baseline: per module, the unmutated copy passes the covering tests; time it.  Cached in
    # the copy (keyed by the test files and their modification times) for --reuse/--resume.
    bfile = copy / ".mutation_baseline.json"
    bcache = json.loads(bfile.read_text()) if (args.reuse and bfile.exists()) else {}
    base_time = {}
    for mod in sorted({m.module for m in mutants}):
        tests = _tests_for(copy, mod)
        key = json.dumps([[t, os.stat(copy / t).st_mtime_ns] for t in tests])
        if bcache.get(mod, {}).get("key") == key:
            base_time[mod] = bcache[mod]["time"]
            continue
        status, detail, dt = _pytest(copy, tests, 1800)
        print(f"baseline {mod:42s} {status:5s} {dt:6.1f}s [{detail}]", flush=True)
        if status != "pass":
            print("the tests fail on the unmutated code: kills would be meaningless")
            return 1
        base_time[mod] = dt      # with cold caches for the first module: a generous base
        bcache[mod] = {"key": key, "time": dt}
        bfile.write_text(json.dumps(bcache))
    snap = copy.parent / (copy.name + "_numba_cache")
    shutil.rmtree(snap, ignore_errors=True)
    shutil.copytree(copy / ".numba_cache", snap)
    jit_deps = _jit_files(copy)

    records = []
    t_start = time.time()
    for i, m in enumerate(mutants):
        tests = _tests_for(copy, m.module)
        timeout = max(60.0, args.timeout_factor * base_time[m.module]
                      + (90.0 if m.module in jit_deps else 0.0))
        rec = run_mutant(copy, m, tests, timeout, jit_deps, i)
        if rec["status"] == "survived" and m.id in EQUIVALENT:
            rec["equivalent"] = EQUIVALENT[m.id]
        records.append(rec)
        print(f"[{i + 1:3d}/{len(mutants)}] {rec['status']:8s} {m.id:55s} {rec['seconds']:5.1f}s "
              f"{m.original_line[:40]!r} -> {m.mutated_line[:40]!r}", flush=True)
        prev = merged.get(rec["id"])
        if prev is not None:      # a re-run: keep the first pass's outcome
            rec["first_pass"] = prev.get("first_pass", prev["status"])
            rec["first_pass_tests"] = prev.get("first_pass_tests", prev["tests"])
        merged[rec["id"]] = rec
        summary = _write(out, merged)            # after every mutant: an interrupted sweep resumes
    total = time.time() - t_start
    summary = _write(out, merged)
    print_summary(summary)
    print(f"sweep wall time {total / 60:.1f} min; results in {out}")
    return 0


def report(out: Path) -> int:
    data = json.loads(out.read_text())
    recs = data["mutants"]
    print_summary(summarize(recs))
    print()
    print("| id | mutation | status | classification |")
    print("|---|---|---|---|")
    for r in recs:
        first = r.get("first_pass")
        if r["status"] == "survived" or first == "survived":
            if r["status"] != "survived":
                cls = f"killed on re-run: {r['detail']}"
            elif r["id"] in EQUIVALENT:
                cls = "equivalent: " + EQUIVALENT[r["id"]]
            elif r["id"] in UNREACHABLE:
                cls = "not killed: " + UNREACHABLE[r["id"]]
            else:
                cls = "NOT CLASSIFIED"
            mut = f"`{r['original_line'][:60]}` -> `{r['mutated_line'][:60]}`".replace("|", "\\|")
            print(f"| `{r['id']}` | {mut} | {r['status']} | {cls} |")
    return 0


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def _write(out: Path, merged: dict) -> dict:
    allrec = sorted(merged.values(), key=lambda r: (r["module"], r["line"], r["col"]))
    for r in allrec:
        r.pop("equivalent", None)
        if r["status"] == "survived" and r["id"] in EQUIVALENT:
            r["equivalent"] = EQUIVALENT[r["id"]]
    summary = summarize(allrec)
    out.write_text(json.dumps({"seed": SEED, "summary": summary, "mutants": allrec},
                              indent=1) + "\n")
    return summary


def summarize(recs) -> dict:
    per = {}
    for r in recs:
        d = per.setdefault(r["module"], {"mutants": 0, "killed": 0, "timeout": 0,
                                         "survived": 0, "equivalent": 0})
        d["mutants"] += 1
        d[r["status"]] += 1
        d["equivalent"] += "equivalent" in r
    tot = {k: sum(d[k] for d in per.values()) for k in
           ("mutants", "killed", "timeout", "survived", "equivalent")}
    dead = tot["killed"] + tot["timeout"]
    tot["raw_kill_rate"] = dead / max(tot["mutants"], 1)
    tot["non_equivalent"] = tot["mutants"] - tot["equivalent"]
    tot["kill_rate_non_equivalent"] = dead / max(tot["non_equivalent"], 1)
    return {"modules": per, "total": tot}


def print_summary(summary) -> None:
    print(f"{'module':42s} {'mutants':>7s} {'killed':>6s} {'timeout':>7s} {'survived':>8s} "
          f"{'equiv':>5s} {'kill%':>6s}")
    for mod, d in summary["modules"].items():
        dead = d["killed"] + d["timeout"]
        ne = d["mutants"] - d["equivalent"]
        print(f"{mod:42s} {d['mutants']:7d} {d['killed']:6d} {d['timeout']:7d} "
              f"{d['survived']:8d} {d['equivalent']:5d} {100 * dead / max(ne, 1):6.1f}")
    t = summary["total"]
    print(f"total: {t['mutants']} mutants, {t['killed']} killed, {t['timeout']} timeouts "
          f"(counted as killed), {t['survived']} survived ({t['equivalent']} equivalent); "
          f"raw kill rate {100 * t['raw_kill_rate']:.1f}%, over non-equivalent "
          f"{100 * t['kill_rate_non_equivalent']:.1f}%")


if __name__ == "__main__":
    sys.exit(main())
