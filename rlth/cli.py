"""The ``rlth`` command line: ``list | run | check | figures | bench``.

Experiments are discovered in the directory ``$RLTH_EXPERIMENTS_DIR`` (or the directories,
separated by ``os.pathsep``), else ``experiments/`` at the root of the source tree (a checkout or
an editable install), else the copy of the built-in experiments shipped inside the installed
package (``rlth/_builtin_experiments``, a non-editable install): every ``*.py`` file there (not
starting with ``_``) is a *family* defining ``EXPERIMENT`` or ``EXPERIMENTS``.
``NAME`` on the command line is a family (every experiment of the file) or one experiment's name.

Exit status: 0 success; 1 a check FAILed or an experiment raised / failed to load; 2 bad usage
(unknown experiment, profile or backend; no experiment found; a results or figures directory that
is a file or cannot be created or written; ``--scheduler`` without ``--backend dask`` or a
scheduler that cannot be reached): a one-line message naming the option.
"""
from __future__ import annotations

import argparse
import contextlib
import inspect
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .store import StoreError, StoreLockedError
from .sweep import MODULE_PREFIX

__all__ = ["main", "main_for", "experiments_dir", "experiments_dirs", "discover", "resolve", "UsageError"]



class UsageError(Exception):
    """Bad command-line usage (exit status 2)."""


#: Where a non-editable install keeps its copy of the repo's top-level ``experiments/*.py``
#: (the subpackage ``rlth._builtin_experiments``, mapped to ``experiments/`` in pyproject.toml).
BUILTIN_EXPERIMENTS = Path(__file__).resolve().parent / "_builtin_experiments"


def experiments_dirs() -> list[Path]:
    """The directories experiments are discovered in (in this order).

    1. ``$RLTH_EXPERIMENTS_DIR`` when set: a user's own directory of experiment files, or several
       separated by ``os.pathsep`` (``:``; ``;`` on Windows);
    2. ``<source tree>/experiments`` when ``rlth`` is imported from a checkout or an editable
       install (the package's parent directory has ``pyproject.toml`` and ``experiments/``), so
       edits there are seen immediately;
    3. :data:`BUILTIN_EXPERIMENTS`, the copy shipped in a non-editable install (``pip install
       <clone>``), so ``rlth list`` / ``rlth check`` work from any working directory;
    4. ``./experiments`` (nothing else found).
    """
    env = os.environ.get("RLTH_EXPERIMENTS_DIR", "")
    dirs = [Path(part) for part in env.split(os.pathsep) if part.strip()]
    if dirs:
        return dirs
    source_tree = Path(__file__).resolve().parent.parent
    if (source_tree / "pyproject.toml").is_file() and (source_tree / "experiments").is_dir():
        return [source_tree / "experiments"]
    if BUILTIN_EXPERIMENTS.is_dir():
        return [BUILTIN_EXPERIMENTS]
    return [Path.cwd() / "experiments"]


def experiments_dir() -> Path:
    """The first of :func:`experiments_dirs` (``rlth bench`` looks in its ``benchmarks/``)."""
    return experiments_dirs()[0]


def _load_module(path: Path, name: str):
    from .sweep import load_module_from_file
    return load_module_from_file(path, name)


@dataclass
class Registry:
    """Discovered experiments: ``families`` (file stem -> experiments), load ``errors``."""

    directory: Path                                  # the first of ``directories``
    families: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    directories: list = field(default_factory=list)

    @property
    def where(self) -> str:
        """The searched directories, for messages."""
        return os.pathsep.join(str(d) for d in (self.directories or [self.directory]))

    @property
    def experiments(self) -> dict:
        return {e.name: e for exps in self.families.values() for e in exps}


def _experiments_of(module) -> list:
    from .experiment import Experiment
    exps = []
    if hasattr(module, "EXPERIMENTS"):
        exps = list(module.EXPERIMENTS)
    elif hasattr(module, "EXPERIMENT"):
        exps = [module.EXPERIMENT]
    bad = [type(e).__name__ for e in exps if not isinstance(e, Experiment)]
    if bad:
        raise ValueError(f"EXPERIMENTS: expected Experiment objects, got {bad}")
    return exps


_REGISTRY_CACHE: dict = {}


def discover(directory=None) -> Registry:
    """Load every experiment file of ``directory`` (a directory or a list of them; default
    :func:`experiments_dirs`).  A family (file stem) found again in a later directory is an error
    of that family (the first one is kept)."""
    if directory is None:
        dirs = experiments_dirs()
    elif isinstance(directory, (list, tuple)):
        dirs = [Path(d) for d in directory]
    else:
        dirs = [Path(directory)]
    key = tuple(str(d.resolve()) for d in dirs)
    if key in _REGISTRY_CACHE:
        return _REGISTRY_CACHE[key]
    reg = Registry(dirs[0], directories=dirs)
    seen, where = {}, {}
    for path in [p for d in dirs if d.is_dir() for p in sorted(d.glob("*.py"))]:
        if path.name.startswith("_"):
            continue
        stem = path.stem
        if stem in where:
            reg.errors[stem] = (f"{path} ignored: family {stem!r} already found in "
                                f"{where[stem]}")
            continue
        where[stem] = path.parent
        try:
            module = _load_module(path, MODULE_PREFIX + stem)
            exps = _experiments_of(module)
        except Exception as exc:  # a broken file must not hide the others
            reg.errors[stem] = f"{type(exc).__name__}: {exc}"
            continue
        if not exps:
            continue
        for e in exps:
            if e.name in seen:
                reg.errors[stem] = (f"experiment name {e.name!r} also defined in "
                                    f"{seen[e.name]}.py")
            seen[e.name] = stem
        reg.families[stem] = exps
    _REGISTRY_CACHE[key] = reg
    return reg


def resolve(names, registry: Registry) -> list:
    """Experiments named by family or experiment name (all when ``names`` is empty)."""
    if not names:
        return [e for exps in registry.families.values() for e in exps]
    out, all_exps = [], registry.experiments
    for name in names:
        if name in registry.families:
            found = registry.families[name]
        elif name in all_exps:
            found = [all_exps[name]]
        else:
            known = sorted(set(registry.families) | set(all_exps))
            extra = ""
            if name in registry.errors:
                extra = f" (the file {name}.py failed to load: {registry.errors[name]})"
            raise UsageError(f"NAME: unknown experiment {name!r}{extra}; known: "
                             f"{', '.join(known) or '(none in ' + registry.where + ')'}")
        out += [e for e in found if e not in out]
    return out


def _check_profile(exps, profile):
    for e in exps:
        if profile not in e.grids:
            raise UsageError(f"--profile: experiment {e.name!r} has no profile {profile!r} "
                             f"(has: {', '.join(e.profiles)})")


# --------------------------------------------------------------------------------------------

def _clip(text: str, n: int) -> str:
    text = str(text)
    return text if len(text) <= n else text[:n - 3] + "..."


def _short_paper(paper: str) -> str:
    if len(paper) <= 45:
        return paper
    import re
    year = re.search(r"\((\d{4})\)", paper)
    return paper.split(",")[0].strip() + " et al." + (f" ({year.group(1)})" if year else "")


def _cmd_list(args) -> int:
    from . import theory
    reg = discover()          # experiment files may register theorems
    theorems = theory.all_theorems()
    rows = [(t.id, _short_paper(t.paper), _clip(t.number, 40), t.kind,
             "-" if t.exponent is None else f"{t.exponent:+g}", t.sweep_variable,
             _statistic_text(t), _clip(t.provenance, 40)) for t in theorems.values()]
    print(f"Theorems ({len(rows)}):")
    print(_table(("id", "paper", "number", "kind", "exponent", "in", "statistic", "provenance"),
                 rows))
    erows = []
    for fam, exps in reg.families.items():
        for e in exps:
            erows.append((e.name, fam, ",".join(e.profiles), len(e.checks), _clip(e.title, 70)))
    print(f"\nExperiments in {reg.where} ({len(erows)}):")
    print(_table(("name", "family", "profiles", "checks", "title"), erows))
    for stem, err in reg.errors.items():
        print(f"  ! {stem}.py failed to load: {err}")
    unknown = sorted({c.theorem for exps in reg.families.values() for e in exps
                      for c in e.checks} - set(theorems))
    for t in unknown:
        print(f"  ! check refers to an unregistered theorem {t!r}")
    return 1 if reg.errors or unknown else 0


def _statistic_text(t) -> str:
    """A theorem's statistic for ``rlth list`` (``quantile (delta=0.1)`` when delta is set)."""
    stat = getattr(t, "statistic", "mean")
    delta = getattr(t, "delta", None)
    return stat if delta is None else f"{stat} (delta={delta:g})"


def _table(header, rows) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else \
        [len(h) for h in header]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def _sweep_kwargs(args) -> dict:
    return dict(backend=args.backend, workers=args.workers,
                scheduler=getattr(args, "client", None) or args.scheduler,
                store_dir=args.store_dir, progress=not args.no_progress, fresh=args.fresh)


def _dir_option(args, option: str, env: str, default: str) -> str:
    if getattr(args, option.lstrip("-").replace("-", "_"), None) is not None:
        return option
    if os.environ.get(env):
        return f"{option} (from ${env})"
    return f"{option} (default {default})"


def _check_writable_dir(path: Path, option: str) -> None:
    """``path`` exists as a writable directory (created if missing), else :class:`UsageError`."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option}: {path} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{option}: cannot create the directory {path} "
                         f"({exc.strerror or type(exc).__name__})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{option}: the directory {path} is not writable")


def _check_dirs(args, *, store_write: bool, figures: bool) -> None:
    """Fail early, naming the option, on a results / figures directory that cannot be used."""
    from .plotting import figures_dir
    from .store import store_dir
    sdir = store_dir(args.store_dir)
    s_opt = _dir_option(args, "--store-dir", "RLTH_RESULTS_DIR", "./.rlth_results")
    if store_write:
        _check_writable_dir(sdir, s_opt)
    elif sdir.exists() and not sdir.is_dir():
        raise UsageError(f"{s_opt}: {sdir} is a file, not a directory")
    if figures and not getattr(args, "no_figures", False):
        fdir = Path(args.figures_dir) if args.figures_dir else figures_dir(args.profile)
        _check_writable_dir(fdir, _dir_option(args, "--figures-dir", "RLTH_FIGURES_DIR",
                                              "paper_figures/"))


#: ``--workers`` above this many processes per CPU is refused for a local pool (loky or a local
#: dask cluster); with ``--scheduler`` the number only sets the chunking and is not capped.
MAX_WORKERS_PER_CPU = 4


@contextlib.contextmanager
def _sweep_context(args):
    """Check the sweep options; connect to ``--scheduler`` once (short timeout) for all sweeps."""
    if args.scheduler is not None and args.backend != "dask":
        raise UsageError(f"--scheduler: only used with --backend dask (got --backend "
                         f"{args.backend})")
    if args.scheduler is None:
        cap = MAX_WORKERS_PER_CPU * (os.cpu_count() or 1)
        if args.backend != "serial" and args.workers is not None and args.workers > cap:
            raise UsageError(f"--workers: at most {cap} local worker processes "
                             f"({MAX_WORKERS_PER_CPU} per CPU), got {args.workers}")
        yield
        return
    from .sweep import DASK_CONNECT_TIMEOUT
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover
        raise UsageError("--backend: 'dask' needs dask.distributed "
                         "(pip install 'rlth[dask]')") from None
    try:
        client = Client(args.scheduler, timeout=DASK_CONNECT_TIMEOUT)
    except Exception as exc:
        raise UsageError(f"--scheduler: cannot connect to the dask scheduler {args.scheduler!r} "
                         f"within {DASK_CONNECT_TIMEOUT} s ({type(exc).__name__}: "
                         f"{_clip(exc, 120)})") from None
    args.client = client
    try:
        yield
    finally:
        args.client = None
        client.close()


def _no_experiments(reg) -> UsageError:
    return UsageError(f"NAME: no experiments found in {reg.where} (set "
                      f"RLTH_EXPERIMENTS_DIR to a directory of experiment files)")


def _cmd_run(args) -> int:
    from .sweep import run_experiment
    reg = discover()
    exps = resolve(args.names, reg)
    _check_profile(exps, args.profile)
    _check_dirs(args, store_write=True, figures=False)
    with _sweep_context(args):
        for e in exps:
            t0 = time.perf_counter()
            recs = run_experiment(e, args.profile, **_sweep_kwargs(args))
            print(f"{e.name} [{args.profile}]: {len(recs)} records "
                  f"({time.perf_counter() - t0:.1f} s)")
    return 0


def _error_row(experiment, exc, theorem="-", label=""):
    from .rates import CheckResult
    return CheckResult(experiment=experiment, theorem=theorem, label=label, kind="-", metric="-",
                       predicted=None, tolerance=0.0, verdict="ERROR",
                       reason=exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}")


def _run_checks(exps, args, *, registry_errors=None) -> int:
    """Sweep (what is missing), evaluate checks, draw figures, print the verdict table.

    An exception in one sweep, check or figure gives an ERROR row (exit status 1) and the rest
    still runs.
    """
    _check_dirs(args, store_write=True, figures=True)
    with _sweep_context(args):
        return _run_checks_connected(exps, args, registry_errors)


def _run_checks_connected(exps, args, registry_errors):
    from .plotting import figures_dir, plot_figure
    from .rates import evaluate_check, format_table, write_verdicts_csv
    from .sweep import run_experiment
    results, figures = [], []
    for stem, err in (registry_errors or {}).items():
        results.append(_error_row(f"{stem}.py", f"failed to load: {err}"))
    for e in exps:
        t0 = time.perf_counter()
        res = []
        try:
            recs = run_experiment(e, args.profile, **_sweep_kwargs(args))
        except (KeyboardInterrupt, StoreLockedError):
            raise
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            recs, res = None, [_error_row(e.name, exc)]
        if recs is not None:
            for c in e.checks:
                try:
                    res.append(evaluate_check(c, recs, experiment=e.name))
                except Exception as exc:
                    res.append(_error_row(e.name, exc, c.theorem, c.label))
            for f in (() if args.no_figures else e.figures):
                try:
                    figures.append(plot_figure(e, f, recs, profile=args.profile,
                                               out_dir=args.figures_dir)[0])
                except Exception as exc:
                    res.append(_error_row(e.name, f"figure {f.name!r}: {type(exc).__name__}: "
                                                  f"{exc}"))
        if recs is not None and not args.no_figures and e.checks:
            out = Path(args.figures_dir) if args.figures_dir else figures_dir(args.profile)
            out.mkdir(parents=True, exist_ok=True)
            write_verdicts_csv(res, out / f"{e.name}_verdicts.csv")
        results += res
        print(f"{e.name} [{args.profile}]: {', '.join(r.verdict for r in res) or 'no checks'} "
              f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    failed = any(r.verdict in ("FAIL", "ERROR") for r in results)
    print()
    print(format_table(results))
    notes = [r for r in results if r.verdict != "PASS"]
    if notes:
        print()
        for r in notes:
            print(f"  {r.verdict:13s} {r.experiment} {r.theorem} {r.label}: {r.reason}")
    if figures:
        print()
        print(f"figures: {len(figures)} written to {Path(figures[0]).parent}")
    counts = {}
    for r in results:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    print("\n" + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    return 1 if failed else 0


def _warn_versions(args) -> None:
    """Full profile: warn when the running versions differ from the figures' lock file."""
    from .plotting import figures_dir
    from .store import VERSIONS_LOCK, read_versions_lock, versions_differ
    if args.profile != "full":
        return
    fdir = Path(args.figures_dir) if args.figures_dir else figures_dir(args.profile)
    lock = fdir / VERSIONS_LOCK
    if not lock.is_file():
        return
    diffs = versions_differ(read_versions_lock(lock))
    if diffs:
        print(f"warning: running versions differ from {lock} ({'; '.join(diffs)}): the "
              "verdicts should agree, but the CSVs need not be bit-identical",
              file=sys.stderr)


def _cmd_check(args) -> int:
    reg = discover()
    exps = resolve(args.names, reg)
    if not exps and not reg.errors:
        raise _no_experiments(reg)
    _check_profile(exps, args.profile)
    _warn_versions(args)
    return _run_checks(exps, args, registry_errors=None if args.names else reg.errors)


def _cmd_figures(args) -> int:
    from .plotting import plot_experiment
    from .sweep import load_records
    reg = discover()
    exps = resolve(args.names, reg)
    if not exps:
        raise _no_experiments(reg)
    _check_profile(exps, args.profile)
    _check_dirs(args, store_write=False, figures=True)
    status = 0
    for e in exps:
        recs = load_records(e, args.profile, store_dir=args.store_dir)
        expected = len(e.grids[args.profile]) * e.replicates[args.profile]
        if not recs:
            print(f"{e.name} [{args.profile}]: no records in the store; run "
                  f"`rlth run {e.name} --profile {args.profile}` first", file=sys.stderr)
            status = 1
            continue
        if len(recs) < expected:
            print(f"{e.name} [{args.profile}]: only {len(recs)} of {expected} records "
                  f"(plotting what there is)", file=sys.stderr)
        for p in plot_experiment(e, recs, profile=args.profile, out_dir=args.figures_dir):
            print(p)
    return status


REPORTS = ("glance", "fidelity", "theorems", "gallery", "verdicts")


def _cmd_report(args) -> int:
    from . import report, theory
    from .plotting import figures_dir
    reg = discover()
    theory.all_theorems()                   # experiment files may register theorems too
    fig_dir = Path(args.figures_dir) if args.figures_dir else figures_dir("full")
    if not fig_dir.is_dir():
        raise UsageError(f"--figures-dir: {str(fig_dir)!r} is not a directory")
    prefix = args.figure_prefix
    if args.what == "glance":
        text = report.glance_table(report.read_verdicts(fig_dir), reg.families)
    elif args.what == "fidelity":
        text = report.fidelity_summary()
    elif args.what == "theorems":
        text = report.theorem_catalogue(report.read_verdicts(fig_dir), reg.families, prefix)
    elif args.what == "gallery":
        text = report.gallery(reg.families, fig_dir, prefix)
    else:
        if not args.names:
            raise UsageError("NAME: `rlth report verdicts` needs a family or experiment name")
        text = report.verdict_table(report.read_verdicts(fig_dir), resolve(args.names, reg))
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--out: cannot write {args.out!r}: {exc.strerror}") from None
    else:
        sys.stdout.write(text)
    return 0


def _cmd_bench(args) -> int:
    bdir = experiments_dir() / "benchmarks"
    paths = sorted(p for p in bdir.glob("*.py") if not p.name.startswith("_"))
    if args.names:
        known = {p.stem for p in paths}
        bad = [n for n in args.names if n not in known]
        if bad:
            raise UsageError(f"NAME: unknown benchmark {bad[0]!r}; known: "
                             f"{', '.join(sorted(known))}")
        paths = [p for p in paths if p.stem in args.names]
    if not paths:
        print(f"no benchmarks in {bdir}")
        return 0
    status = 0
    for path in paths:
        print(f"== {path.stem} ==", flush=True)
        try:
            module = _load_module(path, "rlth_benchmarks_" + path.stem)
            fn = module.main
            params = inspect.signature(fn).parameters
            if "argv" in params:
                fn(["--quick"] if args.quick else [])
            elif "quick" in params:
                fn(quick=args.quick)
            else:
                fn()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # includes SystemExit from a benchmark's argparse
            traceback.print_exc(file=sys.stderr)
            print(f"benchmark {path.stem} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            status = 1
        print(flush=True)
    return status


# --------------------------------------------------------------------------------------------

def _add_sweep_options(p, *, figures: bool):
    from .sweep import BACKENDS
    p.add_argument("--profile", default="quick", help="grid profile (quick or full)")
    p.add_argument("--backend", default="serial", choices=BACKENDS,
                   help="where runs execute (default serial)")
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="worker processes for loky / a local dask cluster (at most 4 per CPU)")
    p.add_argument("--scheduler", default=None,
                   help="dask scheduler address, e.g. tcp://10.0.0.1:8786 (with --backend dask)")
    p.add_argument("--store-dir", default=None,
                   help="results directory (default $RLTH_RESULTS_DIR or ./.rlth_results)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--fresh", action="store_true",
                   help="move the stored records aside (<file>.old) and recompute everything "
                        "(records of an edited run() are recomputed without it)")
    if figures:
        p.add_argument("--no-figures", action="store_true", help="do not write figures")
        p.add_argument("--figures-dir", default=None,
                       help="figure directory (default paper_figures/ for full, else "
                            "paper_figures/<profile>/)")


def _positive_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rlth", description="rlth: run sweeps and check measured rates against theorems.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", help="registered theorems and discovered experiments")
    p = sub.add_parser("run", help="run (resume) the sweeps of experiments")
    p.add_argument("names", nargs="+", metavar="NAME", help="family (file) or experiment name")
    _add_sweep_options(p, figures=False)
    p = sub.add_parser("check", help="run what is missing, fit rates, print verdicts, draw figures")
    p.add_argument("names", nargs="*", metavar="NAME", help="family or experiment (default: all)")
    _add_sweep_options(p, figures=True)
    p = sub.add_parser("figures", help="draw figures from the stored records")
    p.add_argument("names", nargs="*", metavar="NAME", help="family or experiment (default: all)")
    p.add_argument("--profile", default="quick", help="grid profile (quick or full)")
    p.add_argument("--store-dir", default=None,
                   help="results directory (default $RLTH_RESULTS_DIR or ./.rlth_results)")
    p.add_argument("--figures-dir", default=None,
                   help="figure directory (default paper_figures/ for full, else "
                        "paper_figures/<profile>/)")
    p = sub.add_parser("report", help="Markdown tables from the theorem registry and the "
                       "committed verdict CSVs (README and docs are built from them)")
    p.add_argument("what", choices=REPORTS, help="glance: verdict counts per family; fidelity: "
                   "provenance tags per family; theorems: the theorem catalogue; gallery: every "
                   "figure with the command that regenerates it; verdicts: every check of NAME")
    p.add_argument("names", nargs="*", metavar="NAME", help="family or experiment (verdicts)")
    p.add_argument("--figures-dir", default=None,
                   help="where the verdict CSVs and figures are (default paper_figures/)")
    p.add_argument("--figure-prefix", default="",
                   help="path prepended to figure files in the Markdown (e.g. ../paper_figures/)")
    p.add_argument("--out", default=None, help="write to this file (default stdout)")
    p = sub.add_parser("bench", help="run experiments/benchmarks/*.py")
    p.add_argument("names", nargs="*", metavar="NAME", help="benchmark module (default: all)")
    p.add_argument("--quick", action="store_true", help="smaller, faster benchmarks")
    return parser


_COMMANDS = {"list": _cmd_list, "run": _cmd_run, "check": _cmd_check, "figures": _cmd_figures,
             "report": _cmd_report, "bench": _cmd_bench}


def main(argv=None) -> int:
    """Entry point of the ``rlth`` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    try:
        return _COMMANDS[args.command](args)
    except (UsageError, StoreError) as exc:
        print(f"rlth {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except StoreLockedError as exc:
        print(f"rlth {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted (records written so far are kept; rerun to resume)", file=sys.stderr)
        return 130


def main_for(experiments, argv=None):
    """``python experiments/<family>.py [--profile quick] ...``: check these experiments.

    Put ``if __name__ == "__main__": rlth.cli.main_for(EXPERIMENTS)`` at the end of an
    experiment file.  Options as ``rlth check``; exits with the same status.
    """
    from .experiment import Experiment
    exps = [experiments] if isinstance(experiments, Experiment) else list(experiments)
    parser = argparse.ArgumentParser(description="Run and check these experiments "
                                     f"({', '.join(e.name for e in exps)}).")
    _add_sweep_options(parser, figures=True)
    parser.add_argument("--only", nargs="*", default=None, metavar="NAME",
                        help="only these experiments of the file")
    args = parser.parse_args(argv)
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if args.backend != "serial" and main_file and any(e.run.__module__ == "__main__"
                                                      for e in exps):
        # re-import the file under an importable name so worker processes can import it too
        module = _load_module(Path(main_file), MODULE_PREFIX + Path(main_file).stem)
        by_name = {e.name: e for e in _experiments_of(module)}
        exps = [by_name.get(e.name, e) for e in exps]
    try:
        if args.only:
            names = {e.name for e in exps}
            bad = [n for n in args.only if n not in names]
            if bad:
                raise UsageError(f"--only: unknown experiment {bad[0]!r}; this file has "
                                 f"{', '.join(sorted(names))}")
            exps = [e for e in exps if e.name in args.only]
        _check_profile(exps, args.profile)
        code = _run_checks(exps, args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    except StoreLockedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("interrupted (records written so far are kept; rerun to resume)", file=sys.stderr)
        code = 130
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
