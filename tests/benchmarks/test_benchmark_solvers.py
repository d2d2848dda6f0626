"""The solver benchmark runs end to end on small sizes and reports every table (no timing is
asserted: only that the script's own agreement checks pass and its tables are complete)."""
import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("quantecon")

SCRIPT = Path(__file__).resolve().parents[2] / "experiments" / "benchmarks" / "solvers.py"


def _load():
    spec = importlib.util.spec_from_file_location("rlth_bench_solvers_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_solver_benchmark_small_sizes(tmp_path, capsys):
    bench = _load()
    md = tmp_path / "bench.md"
    # (300, 10): one stage of P is 7.2 MB, above both dispatch thresholds, so the speculative
    # path and the worst-case table run; (10, 4) takes the fused numba kernel
    assert bench.main(["--quick", "--repeats", "1", "--sizes", "10x4,300x10", "--no-discounted",
                       "--no-cold", "--markdown", str(md)]) == 0
    text = md.read_text()
    assert "| (10, 4) | numba |" in text and "| (300, 10) | speculative |" in text
    assert "### Worst case for speculation" in text
    worst = text.split("### Worst case for speculation")[1]
    assert "| (300, 10) |" in worst and "| (10, 4) |" not in worst
