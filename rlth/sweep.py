"""Monte-Carlo sweep runner: points x replicates, parallel backends, a resumable store.

A sweep of an :class:`rlth.experiment.Experiment` under a profile runs ``run(params, rng)`` once
per (point, replicate) of ``experiment.grids[profile]`` x ``range(experiment.replicates[profile])``
and appends one *record* per run to the results store (:mod:`rlth.store`).

Seeds
-----
Replicate ``r`` of point ``p`` uses ``SeedSequence(entropy=experiment.seed, spawn_key=(h(p), r))``
where ``h(p)`` is the first 8 bytes (little-endian) of the SHA-256 of the point's canonical JSON.
The spawn key depends on nothing but the point and the replicate index, so adding grid points or
replicates never reseeds existing ones, and a single record can be regenerated alone
(:func:`record_generator`).  The same seeds give the same records on every backend: ``serial``
(in process), ``loky`` (joblib worker processes, chunked, BLAS and numba threads set to 1) and
``dask`` (a ``dask.distributed`` cluster at a given scheduler address, or a ``LocalCluster``).

Resuming
--------
Records are flushed to the store one line at a time as chunks finish.  A rerun reads the store
and computes only the (point, replicate) pairs not yet there, so an interrupted sweep (Ctrl-C,
SIGKILL, an exception in ``run``) loses nothing already written and ends with the same records as
an uninterrupted one.  Only records of the current code (:func:`rlth.store.code_fingerprint`)
count: after ``run`` or a helper it calls changes, the stored records are ignored with a warning
and recomputed.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import warnings

import numpy as np

from .store import (StoreWarning, StoreWriter, code_fingerprint, metadata, point_key, read_store,
                    store_path)

__all__ = ["run_experiment", "load_records", "spawn_key", "record_generator", "BACKENDS",
           "load_module_from_file", "MODULE_PREFIX"]

BACKENDS = ("serial", "loky", "dask")

#: Seconds to wait for a dask scheduler given by address before giving up.
DASK_CONNECT_TIMEOUT = 5


def spawn_key(point: dict, replicate: int) -> tuple[int, int]:
    """Spawn key of replicate ``replicate`` of ``point``: ``(hash64(canonical JSON), r)``."""
    digest = hashlib.sha256(point_key(point).encode()).digest()
    return int.from_bytes(digest[:8], "little"), int(replicate)


def _generator(entropy: int, key) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(entropy),
                                                                      spawn_key=tuple(key))))


def record_generator(record: dict) -> np.random.Generator:
    """The ``Generator`` a record was computed with (regenerates one replicate alone)."""
    return _generator(record["seed_entropy"], record["spawn_key"])


# --------------------------------------------------------------------------------------------
# work units (module level: picklable for loky and dask)

_PAYLOADS: dict[str, tuple] = {}

#: Experiment files loaded by :func:`load_module_from_file` get module names with this prefix;
#: their source travels with the work to worker processes and dask clusters.
MODULE_PREFIX = "rlth_experiments_"


def load_module_from_file(path, name: str):
    """Import the Python file ``path`` as module ``name`` (kept in ``sys.modules``).

    Functions of modules named ``MODULE_PREFIX + ...`` can be run on any backend: the module's
    source is shipped to the workers, which import it under the same name before unpickling.
    """
    from pathlib import Path
    return _exec_module(name, str(path), Path(path).read_text())


def _exec_module(name: str, filename: str, source: str):
    import types
    module = types.ModuleType(name)
    module.__file__ = filename
    module.__rlth_source__ = source
    sys.modules[name] = module          # before exec: dataclasses look their module up
    try:
        exec(compile(source, filename, "exec"), module.__dict__)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _ensure_modules(modules) -> None:
    """In a worker: import shipped experiment files (again if their source changed)."""
    for name, filename, source in modules:
        if getattr(sys.modules.get(name), "__rlth_source__", None) != source:
            _exec_module(name, filename, source)


def _shipped_modules(funcs) -> list[tuple[str, str, str]]:
    out = []
    for fn in funcs:
        name = getattr(fn, "__module__", None) or ""
        module = sys.modules.get(name)
        source = getattr(module, "__rlth_source__", None)
        if name.startswith(MODULE_PREFIX) and source is not None and \
                name not in [m[0] for m in out]:
            out.append((name, getattr(module, "__file__", name), source))
    return out


def _load_payload(payload):
    modules, blob = payload
    key = hashlib.sha256(blob).hexdigest()
    funcs = _PAYLOADS.get(key)
    if funcs is None:
        import cloudpickle
        _ensure_modules(modules)
        funcs = cloudpickle.loads(blob)
        _PAYLOADS[key] = funcs
    return funcs


#: Seconds between two checks of a loky worker's watchdog for its parent.
PARENT_POLL = 0.2


def _watch_parent(parent_pid: int) -> None:
    """Loky worker initializer: exit the worker as soon as the sweep process is gone.

    A SIGKILL of the sweep process gives its loky workers no chance to be told; without this they
    keep computing the queued chunks, then idle for loky's timeout (300 s), as orphans.  A daemon
    thread polls ``os.getppid()`` (which changes when the parent dies and the worker is
    re-parented) and ends the process with ``os._exit``.  Portable to every POSIX system, unlike
    ``prctl(PR_SET_PDEATHSIG)``, which would also fire when the *thread* that spawned the worker
    (loky's manager thread, or a user's thread) exits while the parent is alive.  A worker inside a
    long call that holds the GIL exits when that call returns.  Should the worker not be a direct
    child of the sweep (a start method through an intermediate server process), the sweep's pid
    is watched with ``os.kill(pid, 0)`` instead.
    """
    if sys.platform == "win32" or not hasattr(os, "getppid"):   # pragma: no cover
        return
    import threading
    import time

    ppid0 = os.getppid()

    def gone() -> bool:
        if os.getppid() != ppid0:      # re-parented: the process that started us has died
            return True
        if ppid0 == parent_pid:
            return False
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            return True
        except OSError:                # pragma: no cover - alive, another user's pid
            return False
        return False

    def watch():
        while not gone():
            time.sleep(PARENT_POLL)
        os._exit(1)

    if gone():                         # the sweep died before this worker started
        os._exit(1)
    threading.Thread(target=watch, name="rlth-parent-watchdog", daemon=True).start()


def _as_metrics(out, where: str) -> dict:
    if not isinstance(out, dict):
        raise ValueError(f"run: must return a dict of float metrics, got {type(out).__name__} "
                         f"({where})")
    metrics = {}
    for k, v in out.items():
        try:
            metrics[str(k)] = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"run: metric {k!r} is not a number ({v!r}, {where})") from None
    return metrics


def _run_chunk(funcs, items, limit_threads: bool = False) -> list[dict]:
    """Run a chunk: ``items`` = [(point_json, entropy, [(replicate, spawn_key), ...]), ...].

    ``funcs`` is ``(run, run_batch)``, or for process / cluster backends a payload
    ``(modules, cloudpickle bytes of (run, run_batch))`` where ``modules`` are the
    ``(name, filename, source)`` of experiment files to import first.
    """
    if isinstance(funcs[1], bytes):
        funcs = _load_payload(funcs)
    run, run_batch = funcs
    if limit_threads and "numba" in sys.modules:
        try:
            sys.modules["numba"].set_num_threads(1)
        except Exception:  # pragma: no cover - numba without a threading layer
            pass
    out = []
    for pjson, entropy, reps in items:
        params = json.loads(pjson)
        rngs = [_generator(entropy, key) for _, key in reps]
        if run_batch is not None:
            results = run_batch(json.loads(pjson), rngs)
            if len(results) != len(rngs):
                raise ValueError(f"run_batch: returned {len(results)} results for {len(rngs)} "
                                 f"generators at point {pjson}")
        else:
            results = [run(json.loads(pjson), g) for g in rngs]
        for (rep, key), res in zip(reps, results):
            out.append({"type": "record", "point": params, "replicate": int(rep),
                        "seed_entropy": int(entropy), "spawn_key": [int(k) for k in key],
                        "metrics": _as_metrics(res, f"point {pjson}, replicate {rep}")})
    return out


def _make_chunks(groups, chunk_size: int, keep_points: bool = False):
    """Split ``[(point_json, entropy, reps)]`` into chunks of at most ``chunk_size`` replicates.

    With ``keep_points`` (``run_batch`` experiments, which may share work across the replicates
    of a point) a point that fits in one chunk is never split across two.
    """
    chunks, cur, n = [], [], 0
    for pjson, entropy, reps in groups:
        if keep_points and cur and len(reps) <= chunk_size < n + len(reps):
            chunks.append(cur)
            cur, n = [], 0
        i = 0
        while i < len(reps):
            take = reps[i:i + chunk_size - n]
            cur.append((pjson, entropy, take))
            n += len(take)
            i += len(take)
            if n >= chunk_size:
                chunks.append(cur)
                cur, n = [], 0
    if cur:
        chunks.append(cur)
    return chunks


# --------------------------------------------------------------------------------------------

def _validate(experiment, profile, backend, workers):
    from .experiment import Experiment
    if not isinstance(experiment, Experiment):
        raise ValueError(f"experiment: expected an rlth.experiment.Experiment, "
                         f"got {type(experiment).__name__}")
    if profile not in experiment.grids:
        raise ValueError(f"profile: experiment {experiment.name!r} has no profile {profile!r}; "
                         f"profiles: {', '.join(experiment.profiles)}")
    if backend not in BACKENDS:
        raise ValueError(f"backend: must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ValueError(f"workers: must be a positive int or None, got {workers!r}")


def load_records(experiment, profile: str = "quick", *, store_dir=None,
                 complete_only: bool = False) -> list[dict]:
    """Records of the current grid already in the store, in grid order (no computation).

    With ``complete_only`` a ``ValueError`` is raised if any (point, replicate) is missing.
    Records computed by other code than the experiment's current ``run`` are not returned (see
    :func:`rlth.store.read_store`).
    """
    _validate(experiment, profile, "serial", None)
    _, stored = read_store(store_path(experiment, profile, store_dir),
                           code=code_fingerprint(experiment))
    return _in_grid_order(experiment, profile, stored, complete_only)


def _in_grid_order(experiment, profile, stored, complete_only):
    by_key = {(point_key(r["point"]), int(r["replicate"])): r for r in stored}
    out, missing = [], 0
    n_rep = int(experiment.replicates[profile])
    for point in experiment.grids[profile]:
        pk = point_key(point)
        for r in range(n_rep):
            rec = by_key.get((pk, r))
            if rec is None:
                missing += 1
            else:
                out.append(rec)
    if complete_only and missing:
        raise ValueError(f"experiment: {experiment.name!r} ({profile}) has {missing} records "
                         f"missing from the store; run it first")
    return out


def run_experiment(experiment, profile: str = "quick", *, backend: str = "serial",
                   workers: int | None = None, scheduler=None, store_dir=None,
                   progress: bool = True, chunk_size: int | None = None,
                   dask_processes: bool = True, fresh: bool = False) -> list[dict]:
    """Run the missing (point, replicate) pairs of a sweep and return all its records.

    Parameters
    ----------
    experiment : rlth.experiment.Experiment
    profile : str
        A key of ``experiment.grids`` (``"quick"`` or ``"full"``).
    backend : {"serial", "loky", "dask"}
        Where runs execute.  All give identical records.
    workers : int, optional
        Worker processes for ``loky`` and a local dask cluster (default: ``os.cpu_count()``;
        with a dask scheduler: the cluster's thread count, used for chunking).
    scheduler : str or distributed.Client, optional
        ``dask`` only: a scheduler address (``"tcp://host:8786"``) or an existing ``Client``;
        default: a ``LocalCluster`` with ``workers`` single-threaded workers.
    store_dir : path, optional
        Results directory (default ``$RLTH_RESULTS_DIR`` or ``./.rlth_results``).
    progress : bool
        Report progress on stderr: a tqdm bar when stderr is a terminal, otherwise (a log
        file, a pipe) one plain line at the start and one with the elapsed time at the end,
        never carriage-return frames.
    chunk_size : int, optional
        Replicates per task (default: serial 1, or whole points with ``run_batch``; about 8
        tasks per worker otherwise, never splitting a point of a ``run_batch`` experiment that
        fits in one task).  Records are written when their task finishes.
    dask_processes : bool
        For a local dask cluster: worker processes (default) or threads in this process.
    fresh : bool
        Move the existing store file aside (``<file>.old``, under the store's lock) and
        recompute everything.  Not needed after editing ``run``, a helper it calls or a constant
        it uses (records of other code are ignored and recomputed anyway), but after a change
        the code fingerprint does not see (another module, a library); resuming a store written
        at another git commit warns.

    Returns
    -------
    list of dict
        One record per (point, replicate) of the grid, in grid order: ``point`` (parameters),
        ``replicate``, ``seed_entropy``, ``spawn_key``, ``metrics`` (and ``type: "record"``).

    Notes
    -----
    Uses ``experiment.run_batch(params, rngs)`` when given (one call per point chunk), else
    ``experiment.run(params, rng)`` per replicate.  ``run`` receives a fresh copy of the point's
    parameters as they round-trip through JSON (tuples become lists), on every backend.
    """
    _validate(experiment, profile, backend, workers)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"chunk_size: must be a positive int, got {chunk_size!r}")
    if scheduler is not None and backend != "dask":
        raise ValueError(f"scheduler: only used with backend='dask', got backend={backend!r}")
    path = store_path(experiment, profile, store_dir)
    code = code_fingerprint(experiment)
    headers, stored = ([], []) if fresh else read_store(path, code=code)
    done = {(point_key(r["point"]), int(r["replicate"])) for r in stored}

    n_rep = int(experiment.replicates[profile])
    groups, n_missing, seen = [], 0, set()
    for point in experiment.grids[profile]:
        pk = point_key(point)
        if pk in seen:
            raise ValueError(f"experiment: profile {profile!r} of {experiment.name!r} lists point "
                             f"{pk} twice")
        seen.add(pk)
        reps = [(r, spawn_key(point, r)) for r in range(n_rep) if (pk, r) not in done]
        if reps:
            groups.append((pk, int(experiment.seed), reps))
            n_missing += len(reps)
    if n_missing == 0:
        return _in_grid_order(experiment, profile, stored, complete_only=True)
    header = metadata(experiment, profile, code)
    # the first header of the records resumed (this code, or an older store without a code)
    mine = [h for h in headers if h.get("code") in (code, None)]
    if stored and mine and mine[0].get("git_commit") != header["git_commit"]:
        warnings.warn(f"{path}: resuming a store started at commit {mine[0].get('git_commit')} "
                      f"from commit {header['git_commit']}; old and new records are mixed "
                      f"(use fresh=True / --fresh to recompute everything)", StoreWarning,
                      stacklevel=2)

    new = []
    # connect to the backend first: a scheduler that cannot be reached leaves no trace in the store
    with _Backend(backend, workers, scheduler, dask_processes) as client:
        bar = _Progress(n_missing, f"{experiment.name} [{profile}]", progress)
        try:
            with StoreWriter(path, header, fresh=fresh) as writer:
                if writer.moved_to is not None:
                    print(f"{experiment.name} [{profile}]: previous store moved to "
                          f"{writer.moved_to}", file=sys.stderr)
                for recs in _execute(experiment, groups, n_missing, backend, workers, chunk_size,
                                     client):
                    writer.write(recs)
                    new.extend(recs)
                    bar.update(len(recs))
        except KeyboardInterrupt:
            bar.close(interrupted=True)
            print(f"\ninterrupted: {len(new)} new records of {experiment.name!r} are saved in "
                  f"{path}; rerun to resume", file=sys.stderr)
            raise
        finally:
            bar.close()
    return _in_grid_order(experiment, profile, list(stored) + new, complete_only=True)


def _stderr_is_tty() -> bool:
    stream = sys.stderr
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):    # no isatty, or a closed stream
        return False


class _Progress:
    """Progress of a sweep on stderr.

    A tqdm bar when stderr is a terminal; otherwise (a log file, a pipe, CI) no carriage-return
    frames but two plain lines, ``"<name> [<profile>]: N runs to compute"`` at the start and
    ``"<name> [<profile>]: N runs done in 1.2 s"`` at the end.  Nothing at all when
    ``enabled`` is false (``progress=False``, ``--no-progress``).
    """

    def __init__(self, total: int, desc: str, enabled: bool):
        import time
        self.total, self.desc, self.done, self.bar = int(total), desc, 0, None
        self.enabled, self.closed, self.t0 = bool(enabled), False, time.monotonic()
        if not self.enabled:
            return
        if _stderr_is_tty():
            from tqdm.auto import tqdm
            self.bar = tqdm(total=self.total, desc=desc, unit="run", file=sys.stderr,
                            leave=False)
        else:
            print(f"{desc}: {self.total} run{'s' if self.total != 1 else ''} to compute",
                  file=sys.stderr, flush=True)

    def update(self, n: int) -> None:
        self.done += int(n)
        if self.bar is not None:
            self.bar.update(n)

    def close(self, interrupted: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        if self.bar is not None:
            self.bar.close()
        elif self.enabled and not interrupted:
            import time
            dt = time.monotonic() - self.t0
            print(f"{self.desc}: {self.done} of {self.total} runs done in {dt:.1f} s",
                  file=sys.stderr, flush=True)


class _Backend:
    """Context manager giving the dask ``Client`` of a sweep (``None`` for other backends)."""

    def __init__(self, backend, workers, scheduler, dask_processes):
        self.args = (backend, workers, scheduler, dask_processes)
        self.client = self.cluster = None
        self.own = False

    def __enter__(self):
        backend, workers, scheduler, dask_processes = self.args
        if backend != "dask":
            return None
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover
            raise ValueError("backend: 'dask' needs dask.distributed "
                             "(pip install 'rlth[dask]')") from None
        if isinstance(scheduler, Client):
            self.client = scheduler
            return self.client
        self.own = True
        if scheduler is not None:
            try:
                self.client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT)
            except Exception as exc:
                raise ValueError(f"scheduler: cannot connect to the dask scheduler "
                                 f"{scheduler!r} within {DASK_CONNECT_TIMEOUT} s "
                                 f"({type(exc).__name__}: {exc})") from None
            return self.client
        self.cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                    threads_per_worker=1, processes=dask_processes,
                                    dashboard_address=None)
        self.client = Client(self.cluster)
        return self.client

    def __exit__(self, *exc):
        if self.own:
            try:
                if self.client is not None:
                    self.client.close()
            finally:
                if self.cluster is not None:
                    self.cluster.close()
        return False


def _chunk(experiment, groups, n_missing, chunk_size, n_workers, serial=False):
    if chunk_size is None:
        if serial:   # every run is written as soon as it finishes
            chunk_size = 1 if experiment.run_batch is None else max(len(g[2]) for g in groups)
        else:        # about 8 tasks per worker
            chunk_size = max(1, math.ceil(n_missing / (8 * n_workers)))
    return _make_chunks(groups, chunk_size, keep_points=experiment.run_batch is not None)


def _execute(experiment, groups, n_missing, backend, workers, chunk_size, client):
    """Yield the records of each finished chunk."""
    funcs = (experiment.run, experiment.run_batch)
    if backend == "serial":
        for chunk in _chunk(experiment, groups, n_missing, chunk_size, 1, serial=True):
            yield _run_chunk(funcs, chunk)
        return
    import cloudpickle
    payload = (_shipped_modules(f for f in funcs if f is not None), cloudpickle.dumps(funcs))
    if backend == "loky":
        from joblib import Parallel, delayed, parallel_config
        n_workers = workers or os.cpu_count() or 1
        chunks = _chunk(experiment, groups, n_missing, chunk_size, n_workers)
        with parallel_config(backend="loky", inner_max_num_threads=1,
                             initializer=_watch_parent, initargs=(os.getpid(),)):
            par = Parallel(n_jobs=min(n_workers, len(chunks)), return_as="generator_unordered",
                           batch_size=1, pre_dispatch="2*n_jobs")
            yield from par(delayed(_run_chunk)(payload, chunk, True) for chunk in chunks)
        return
    # dask: ``client`` was opened by :class:`_Backend`
    from distributed import as_completed
    n_workers = workers or max(1, sum(client.nthreads().values()))
    chunks = _chunk(experiment, groups, n_missing, chunk_size, n_workers)
    futures = [client.submit(_run_chunk, payload, chunk, True, pure=False) for chunk in chunks]
    for fut in as_completed(futures):
        yield fut.result()
