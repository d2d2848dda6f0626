"""Loky workers do not outlive a SIGKILL of the sweep process (issue 17, item 11)."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip("joblib")
pytestmark = pytest.mark.skipif(sys.platform == "win32" or not hasattr(signal, "SIGKILL"),
                                reason="needs POSIX signals and re-parenting of orphans")

EXP_FILE = textwrap.dedent("""
    import os, time
    from rlth.experiment import Experiment
    def run(params, rng):
        # leave this worker's pid (and its parent's) where the test can find it
        path = os.path.join(os.environ["PIDS"], str(os.getpid()))
        with open(path + ".tmp", "w") as f:
            f.write(str(os.getppid()))
        os.replace(path + ".tmp", path)
        time.sleep(float(os.environ["TOY_SLEEP"]))
        return {"y": float(rng.random())}
    EXPERIMENT = Experiment(name="orphans", title="killed loky sweep", run=run,
                            grids={"quick": [{"n": n} for n in range(8)]},
                            replicates={"quick": 4})
    if __name__ == "__main__":
        from rlth.sweep import run_experiment
        run_experiment(EXPERIMENT, "quick", store_dir=os.environ["STORE"], progress=False,
                       backend="loky", workers=2, chunk_size=1)
""")


def _alive(pid):
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:        # pragma: no cover - pid reused by another user
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:                # no /proc (macOS): kill(pid, 0) is all we have
        return True


def test_loky_workers_exit_after_parent_sigkill(tmp_path):
    path = tmp_path / "orphans.py"
    path.write_text(EXP_FILE)
    pids_dir = tmp_path / "pids"
    pids_dir.mkdir()
    env = dict(os.environ, TOY_SLEEP="1.0", STORE=str(tmp_path / "store"), PIDS=str(pids_dir))
    proc = subprocess.Popen([sys.executable, str(path)], env=env)
    workers = {}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and len(workers) < 2:
            for f in pids_dir.iterdir():
                if not f.name.endswith(".tmp"):
                    workers[int(f.name)] = int(f.read_text())
            time.sleep(0.05)
        assert proc.poll() is None, "the sweep ended before it could be killed"
        assert len(workers) == 2, f"workers never started: {workers}"
        assert set(workers.values()) == {proc.pid}, "workers are not children of the sweep"
        assert all(_alive(pid) for pid in workers)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 10 and any(_alive(pid) for pid in workers):
            time.sleep(0.05)
        left = [pid for pid in workers if _alive(pid)]
        assert not left, f"loky workers {left} still run 10 s after the sweep was SIGKILLed"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for pid in workers:        # never leave orphans behind, even when the test fails
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
