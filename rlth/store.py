"""The results store: one append-only JSON-lines file per (experiment, profile, constants).

Layout
------
``<root>/<experiment>__<profile>__<key>.jsonl`` where ``root`` is ``store_dir`` if given, else the
environment variable ``RLTH_RESULTS_DIR``, else ``./.rlth_results``, and ``key`` is the first 12
hex digits of the SHA-256 of the canonical JSON of ``{"constants": ..., "seed": ...}``.  Changing an
experiment's constants (or root seed) therefore *keys a new file*: old records are never mixed with
new ones, and going back to the old constants finds the old records again.

Every line is one JSON object with a ``"type"``:

* ``"header"``: written when the file is created and again each time a sweep resumes it; holds
  the rlth version, git commit (if available), versions of numpy / scipy / numba / joblib / dask,
  python version, the experiment's constants, seed, profile, the code fingerprint ``code``, and a
  UTC timestamp;
* ``"record"``: one (point, replicate): ``point`` (the parameters), ``replicate``,
  ``seed_entropy`` and ``spawn_key`` (which regenerate the replicate's
  ``numpy.random.SeedSequence``), and ``metrics`` (float values).

A sweep holds an exclusive ``flock`` on the file while it appends (POSIX), so two sweeps of the
same store fail fast instead of interleaving.  Records are flushed line by line, so an
interrupted sweep (Ctrl-C, SIGKILL, a raised error) keeps every record it wrote.  On reading, a
truncated or corrupt *last* line (an interrupted write) is dropped with a warning and cut from the
file so later appends start on a clean line (unless a sweep is writing the file right now); a
corrupt line elsewhere is skipped with a warning (its record is then recomputed by the next sweep).
A line that is valid JSON but ill-typed (a record without ``point``, a ``replicate`` that is not
a non-negative int, ``metrics`` that are not JSON numbers such as the string ``"nan"``, ...) is
skipped with a warning too; a metric must be a JSON number (``NaN`` and ``Infinity``, which the
writer emits for non-finite floats, count as numbers).  When two records share a (point,
replicate) key the *first* one in the file wins and a warning says so.

Code keying
-----------
The file name is keyed by constants and seed; the *code* is keyed inside the file.  Each header
carries ``code``, a fingerprint of the rlth version and of the source of the experiment's ``run``
(and ``run_batch``), of every function or class of the same module they reference, directly or
not, and of the module's assignments of the other globals they name (:func:`code_fingerprint`);
a record belongs to the code of the last header before it.
Readers that pass ``code=`` (every sweep, ``load_records``, ``rlth check`` and ``rlth figures``)
use only the records of that code: records of other code are ignored with a warning and
recomputed, and are found again if the code goes back.  Records under a header without ``code``
(stores written before fingerprints existed) are used with a warning that their code cannot be
verified.  Records of one code written at different git commits (a store resumed after a commit
that the fingerprint does not see, such as a library change) are used with a warning that they
are mixed.  ``fresh=True`` (``--fresh``) moves the file aside to ``<file>.old`` while holding
its lock, so it fails like any second sweep while another sweep writes the store.
"""
from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import inspect
import json
import os
import platform
import subprocess
import sys
import types
import warnings
from pathlib import Path
from typing import Iterable

import numpy as np

__all__ = ["canonical_json", "point_key", "store_dir", "store_path", "constants_key",
           "read_store", "StoreWriter", "metadata", "StoreWarning", "StoreError", "StoreLockedError",
           "code_fingerprint"]


class StoreWarning(UserWarning):
    """A results-store line was dropped (truncated, corrupt or ill-typed), duplicated, or
    records were ignored or used despite coming from other or unknown code."""


class StoreError(ValueError):
    """A results store that cannot be used as one (e.g. its path is a directory)."""


class StoreLockedError(RuntimeError):
    """Another process is appending to the same store file."""


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if callable(obj):
        return getattr(obj, "__qualname__", repr(obj))
    raise TypeError(f"not JSON-serializable: {type(obj).__name__}")


def canonical_json(obj) -> str:
    """Canonical JSON (sorted keys, no spaces; numpy scalars as Python numbers)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default)


def point_key(point: dict) -> str:
    """The identity of a sweep point: its canonical JSON."""
    return canonical_json(point)


def constants_key(constants, seed: int) -> str:
    """12 hex digits keying a store file by the experiment's constants and root seed."""
    text = canonical_json({"constants": dict(constants), "seed": int(seed)})
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def store_dir(store_dir=None) -> Path:
    """``store_dir``, else ``$RLTH_RESULTS_DIR``, else ``./.rlth_results``."""
    if store_dir is not None:
        return Path(store_dir)
    env = os.environ.get("RLTH_RESULTS_DIR")
    return Path(env) if env else Path.cwd() / ".rlth_results"


def store_path(experiment, profile: str, directory=None) -> Path:
    """Path of the store file of ``experiment`` under ``profile`` (in :func:`store_dir`)."""
    key = constants_key(experiment.constants, experiment.seed)
    return store_dir(directory) / f"{experiment.name}__{profile}__{key}.jsonl"


@functools.lru_cache(maxsize=1)
def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    commit = out.stdout.strip()
    try:
        dirty = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain",
                                "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        dirty = ""
    return commit + ("+dirty" if dirty else "")


def _source_of(obj) -> str:
    """Source text of a function or class (deterministic fallbacks when there is none)."""
    target = getattr(obj, "func", None) if isinstance(obj, functools.partial) else obj
    target = inspect.unwrap(target) if callable(target) else target
    code = getattr(target, "__code__", None)
    # the globals of the function itself: its module may have been re-imported since
    glb = getattr(target, "__globals__", None)
    if glb is None:
        glb = vars(sys.modules.get(getattr(target, "__module__", None) or "", types))
    shipped = glb.get("__rlth_source__")
    if shipped is not None and code is not None and code.co_filename == glb.get("__file__"):
        # an experiment file loaded by the harness: the source it was loaded from, not the disk
        try:
            lines = shipped.splitlines(True)[code.co_firstlineno - 1:]
            return "".join(inspect.getblock(lines))
        except Exception:  # pragma: no cover - fall through to inspect
            pass
    try:
        return inspect.getsource(target)
    except (OSError, TypeError):
        pass
    if code is not None:
        return code.co_code.hex() + repr(code.co_names)
    return getattr(target, "__qualname__", type(target).__qualname__)


@functools.lru_cache(maxsize=32)
def _assignments(source: str) -> dict:
    """Top-level ``name = ...`` statements of a module's source: name -> their source text."""
    import ast
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):  # pragma: no cover
        return {}
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        else:
            continue
        seg = ast.get_source_segment(source, node) or ""
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name):
                    out.setdefault(n.id, []).append(seg)
    return {k: "\n".join(v) for k, v in out.items()}


def _module_source(glb: dict) -> str | None:
    if glb.get("__rlth_source__") is not None:
        return glb["__rlth_source__"]
    module = sys.modules.get(glb.get("__name__") or "")
    try:
        return inspect.getsource(module) if module is not None else None
    except (OSError, TypeError):
        return None


def _code_objects(funcs) -> tuple[list, dict]:
    """``funcs`` and every function or class of their module they reference, transitively, and
    the source of the top-level statements assigning the other globals they name (module-level
    data: the assignment's text, not the value, which a cache or a counter may change)."""
    out, data, todo = [], {}, [f for f in funcs if f is not None]
    while todo:
        fn = todo.pop()
        if any(fn is o for o in out):
            continue
        out.append(fn)
        base = inspect.unwrap(fn.func if isinstance(fn, functools.partial) else fn)
        code = getattr(base, "__code__", None)
        if code is None:
            continue
        names, stack = set(), [code]
        while stack:
            c = stack.pop()
            names.update(c.co_names)
            stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        glb = getattr(base, "__globals__", {})
        source = _module_source(glb)
        assigned = _assignments(source) if source is not None else {}
        for name in sorted(names):
            obj = glb.get(name)
            if obj is None or inspect.ismodule(obj):
                continue
            if getattr(obj, "__module__", None) == base.__module__:
                try:
                    if inspect.isclass(obj) or inspect.isfunction(inspect.unwrap(obj)):
                        todo.append(obj)
                        continue
                except ValueError:  # pragma: no cover - a __wrapped__ cycle
                    pass
            if name in assigned:     # module-level data: the statements that assign it
                data[name] = assigned[name]
    return out, data


def code_fingerprint(experiment) -> str:
    """16 hex digits identifying the code that computes an experiment's records.

    SHA-256 of the rlth version, the source of ``experiment.run`` and ``run_batch`` and of
    every function or class of their module that they reference (directly or through each
    other), and the source of the module's top-level assignments of the other globals these
    functions name (``SCALE = 0.1``): editing ``run``, a helper it calls or a constant they use
    changes the fingerprint; editing a ``Check``, a ``Figure`` or the grid does not.  Code of
    other modules is not hashed, except rlth's through its version.
    """
    import rlth
    objs, data = _code_objects([experiment.run, experiment.run_batch])
    parts = [f"rlth {rlth.__version__}"]
    for obj in sorted(objs, key=lambda o: (str(getattr(o, "__module__", "")),
                                           str(getattr(o, "__qualname__", "")))):
        parts.append(f"{getattr(obj, '__qualname__', type(obj).__qualname__)}\n{_source_of(obj)}")
    parts += [f"global {name}: {text}" for name, text in sorted(data.items())]
    return hashlib.sha256("\n\0".join(parts).encode()).hexdigest()[:16]


#: packages whose versions can change a figure's numbers (recorded in stores, captions, lock)
RESULT_PACKAGES = ("numpy", "scipy", "numba", "llvmlite", "matplotlib", "joblib", "cvxpy")
#: the lock file of the versions that made ``paper_figures/`` (relative to the figures dir)
VERSIONS_LOCK = "versions.lock"


def current_versions() -> dict:
    """``{"python": ..., package: version or None}`` of the running interpreter (a copy of
    a per-process cache: every figure caption asks).

    Examples
    --------
    >>> v = current_versions()
    >>> sorted(v)[:3], v["numpy"] is not None
    (['cvxpy', 'joblib', 'llvmlite'], True)
    """
    return dict(_versions())


@functools.lru_cache(maxsize=1)
def _versions() -> tuple:
    import importlib.metadata as im
    out = [("python", platform.python_version())]
    for name in RESULT_PACKAGES:
        try:
            out.append((name, im.version(name)))
        except im.PackageNotFoundError:
            out.append((name, None))
    return tuple(out)


def write_versions_lock(path, versions: dict | None = None) -> Path:
    """Write ``name==version`` lines (``python==...`` first) for :func:`current_versions`."""
    v = current_versions() if versions is None else dict(versions)
    lines = ["# versions that made the committed figures; `rlth check --profile full` warns",
             "# when the running ones differ (same verdicts across versions; bit-identical",
             "# CSVs only with these).  Regenerate with rlth.store.write_versions_lock.",
             f"python=={v.get('python')}"]
    lines += [f"{k}=={v[k]}" for k in sorted(v) if k != "python" and v[k] is not None]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_versions_lock(path) -> dict:
    """Parse a lock written by :func:`write_versions_lock` (``ValueError`` on a bad line)."""
    out = {}
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, ver = line.partition("==")
        if not sep or not name.strip() or not ver.strip():
            raise ValueError(f"path: line {i} of {path} is not 'name==version': {line!r}")
        out[name.strip()] = ver.strip()
    return out


def versions_differ(locked: dict, current: dict | None = None) -> list[str]:
    """``["numpy 2.4.6 -> 2.5.2", ...]`` for every locked name whose running version differs."""
    cur = current_versions() if current is None else current
    return [f"{k} {v} -> {cur.get(k)}" for k, v in sorted(locked.items())
            if str(cur.get(k)) != v]


def metadata(experiment, profile: str, code: str | None = None) -> dict:
    """Header of a store file: versions, git commit, constants, seed, profile, time and the
    :func:`code_fingerprint` (``code``, computed when not given)."""
    import importlib.metadata as im

    import rlth
    packages = {}
    for name in ("numpy", "scipy", "numba", "joblib", "dask", "distributed", "llvmlite",
                 "matplotlib", "cvxpy"):
        try:
            packages[name] = im.version(name)
        except im.PackageNotFoundError:
            packages[name] = None
    return {
        "type": "header",
        "experiment": experiment.name,
        "title": experiment.title,
        "profile": profile,
        "constants": json.loads(canonical_json(dict(experiment.constants))),
        "seed": int(experiment.seed),
        "replicates": int(experiment.replicates[profile]),
        "rlth_version": rlth.__version__,
        "code": code if code is not None else code_fingerprint(experiment),
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "packages": packages,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _line_problem(obj) -> str | None:
    """Why a parsed JSON line is not a well-typed store line (``None`` if it is one)."""
    if not isinstance(obj, dict) or obj.get("type") not in ("header", "record"):
        return "not a store line"
    if obj["type"] == "header":
        return None
    if not isinstance(obj.get("point"), dict):
        return "record without a 'point' object"
    if not _is_int(obj.get("replicate")) or obj["replicate"] < 0:
        return f"'replicate' is not a non-negative int ({obj.get('replicate')!r})"
    if not _is_int(obj.get("seed_entropy")):
        return f"'seed_entropy' is not an int ({obj.get('seed_entropy')!r})"
    key = obj.get("spawn_key")
    if not isinstance(key, list) or not all(_is_int(k) for k in key):
        return f"'spawn_key' is not a list of ints ({key!r})"
    metrics = obj.get("metrics")
    if not isinstance(metrics, dict):
        return "record without a 'metrics' object"
    for k, v in metrics.items():
        if not _is_number(v):
            return f"metric {k!r} is not a JSON number ({v!r})"
    return None


def read_store(path, *, code: str | None = None) -> tuple[list[dict], list[dict]]:
    """Read a store file: ``(headers, records)``; records are unique by (point, replicate).

    A truncated or corrupt last line is dropped with a :class:`StoreWarning` and cut from the
    file (a complete last line without its newline gets one), unless another process holds the
    store's lock (a sweep is writing it): then the file is left alone.  A corrupt or ill-typed
    line elsewhere is skipped with a warning.  Of two records with the same (point, replicate)
    the first in the file is kept, with a warning.  A missing file gives ``([], [])``.

    With ``code`` (a :func:`code_fingerprint`), only the records written under a header of that
    code are returned; records of other code are left out with a warning, and records under a
    header without a fingerprint (older stores) are returned with a warning.
    """
    path = Path(path)
    if not path.exists():
        return [], []
    if path.is_dir():
        raise StoreError(f"store: {str(path)!r} is a directory, not a results store file; remove "
                         f"it or choose another store directory")
    with open(path, "rb") as f:
        data = f.read()
    headers, records, seen = [], [], {}
    owner = None                               # the header the following records belong to
    stale, legacy, dups, differ, commits = {}, 0, 0, 0, set()
    pos, n, lineno, repair = 0, len(data), 0, None
    while pos < n:
        nl = data.find(b"\n", pos)
        end = n if nl < 0 else nl + 1
        raw = data[pos:end]
        lineno += 1
        obj = None
        if raw.strip():
            try:
                obj = json.loads(raw)
                if not isinstance(obj, dict) or obj.get("type") not in ("header", "record"):
                    raise ValueError("not a store line")
            except ValueError:
                obj = None
                if end >= n:
                    repair = ("truncate", pos, lineno, len(raw))
                    break
                warnings.warn(f"{path}: skipped corrupt line {lineno}", StoreWarning, stacklevel=2)
        if obj is not None:
            problem = _line_problem(obj)
            if problem is not None:
                warnings.warn(f"{path}: skipped ill-typed line {lineno}: {problem}",
                              StoreWarning, stacklevel=2)
            elif obj["type"] == "header":
                headers.append(obj)
                owner = obj
            else:
                own_code = owner.get("code") if owner is not None else None
                if code is not None and own_code is not None and own_code != code:
                    stale[own_code] = stale.get(own_code, 0) + 1
                else:
                    key = (point_key(obj["point"]), obj["replicate"])
                    first = seen.get(key)
                    if first is not None:
                        dups += 1
                        differ += first["metrics"] != obj["metrics"]
                    else:
                        seen[key] = obj
                        records.append(obj)
                        legacy += own_code is None
                        commits.add(owner.get("git_commit") if owner is not None else None)
            if nl < 0:
                repair = ("newline",)
        pos = end
    if dups:
        warnings.warn(f"{path}: {dups} duplicate records (same point and replicate; {differ} with "
                      f"different metrics): the first in the file is used", StoreWarning,
                      stacklevel=2)
    if stale:
        warnings.warn(f"{path}: ignored {sum(stale.values())} records computed by other code "
                      f"(code {', '.join(sorted(stale))}; current code {code}): run() or a "
                      f"helper, a constant it uses, or the rlth version changed since; they are "
                      f"recomputed by the next sweep", StoreWarning, stacklevel=2)
    if code is not None and legacy:
        warnings.warn(f"{path}: {legacy} records were stored without a code fingerprint (before "
                      f"rlth recorded one): whether the current code produced them cannot be "
                      f"checked; use fresh=True / --fresh to recompute them", StoreWarning,
                      stacklevel=2)
    if code is not None and len(commits) > 1:
        warnings.warn(f"{path}: the records were written at {len(commits)} different git "
                      f"commits ({', '.join(sorted(map(str, commits)))}); old and new records "
                      f"are mixed (use fresh=True / --fresh to recompute everything)",
                      StoreWarning, stacklevel=2)
    if repair is not None:
        with _try_lock(path) as locked:
            if repair[0] == "truncate":
                if locked:
                    warnings.warn(f"{path}: dropped a truncated/corrupt last line {repair[2]} "
                                  f"({repair[3]} bytes); its record will be recomputed",
                                  StoreWarning, stacklevel=2)
                    with open(path, "r+b") as f:
                        f.truncate(repair[1])
            elif locked:
                with open(path, "ab") as f:
                    f.write(b"\n")
    return headers, records


class _try_lock:
    """Context manager: ``True`` if the store's lock could be taken (nobody is writing)."""

    def __init__(self, path):
        self.path, self._f = path, None

    def __enter__(self) -> bool:
        try:
            import fcntl
        except ImportError:  # pragma: no cover
            return True
        self._f = open(self.path, "ab")
        try:
            fcntl.flock(self._f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def __exit__(self, *exc):
        if self._f is not None:
            self._f.close()       # closing releases the lock
        return False


class StoreWriter:
    """Append records to a store file, one flushed line each.

    Use as a context manager; writes a header line on open (a new file or a resume).  With
    ``fresh`` the existing file's content is first moved to ``<file>.old`` (replacing an older
    one) and the file emptied, while the lock is held: a sweep writing the store makes it raise
    :class:`StoreLockedError` instead, and two fresh sweeps cannot both move it.  ``moved_to`` is
    then the ``.old`` path (``None`` if there was nothing to move).
    """

    def __init__(self, path, header: dict, *, fresh: bool = False):
        self.path = Path(path)
        self.header = header
        self.fresh = bool(fresh)
        self.moved_to = None
        self._f = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(self.path, "a+", encoding="utf-8", errors="surrogateescape")
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(self._f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._f.close()
                self._f = None
                raise StoreLockedError(f"{self.path}: another sweep is writing this store; "
                                       "wait for it or stop it") from None
        if self.fresh:
            self._f.seek(0)
            old_data = self._f.read()
            if old_data:
                old = self.path.with_name(self.path.name + ".old")
                tmp = self.path.with_name(self.path.name + ".old.tmp")
                with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
                    f.write(old_data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, old)
                self._f.truncate(0)
                self.moved_to = old
        self._write(self.header)
        return self

    def _write(self, obj) -> None:
        self._f.write(canonical_json(obj) + "\n")
        self._f.flush()

    def write(self, records: Iterable[dict]) -> None:
        for rec in records:
            self._write(rec)

    def __exit__(self, *exc):
        if self._f is not None:
            try:
                self._f.flush()
                os.fsync(self._f.fileno())
            finally:
                self._f.close()
                self._f = None
        return False
