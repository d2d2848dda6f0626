"""The sparse benchmark runs end to end on small sizes and writes every table (no timing is
asserted: only that the script's own agreement checks pass, among them serial == threaded to the
bit and rlth == quantecon, and that its tables are complete)."""
import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("quantecon")

SCRIPT = Path(__file__).resolve().parents[2] / "experiments" / "benchmarks" / "sparse.py"


def test_sparse_benchmark_small_sizes(tmp_path):
    spec = importlib.util.spec_from_file_location("rlth_bench_sparse_test", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    md = tmp_path / "sparse.md"
    assert bench.main(["--sizes", "2000", "--repeats", "1", "--parts", "finite,discounted",
                       "--markdown", str(md)]) == 0
    text = md.read_text()
    assert "| garnet | 2e+03 |" in text and "| grid | 2e+03 |" in text
    assert "threaded / gather floor 2" in text and "| 2e+03 |" in text.split("| S | rlth VI")[1]
