"""Every tutorial runs, top to bottom, as a reader would run it.

A tutorial is a MyST Markdown notebook (jupytext, ``docs/tutorials/*.md``): its ``{code-cell}``
blocks, including those inside hidden exercise solutions, are concatenated in order and run in a
fresh Python process (matplotlib on the Agg backend, the working directory a temporary one).  Each
exercise solution checks its own answer with ``assert``, so a tutorial whose numbers drift fails.

The budget per tutorial is about 30 s on 2 cores; the timeout below is a hang guard at four times
that (a timing is never asserted as a performance figure; the measured times are in the docs).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[2] / "docs" / "tutorials"
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
HANG_GUARD_S = 120


def tutorial_files() -> list[Path]:
    return sorted(p for p in TUTORIALS.glob("[0-9]*.md"))


def code_of(path: Path) -> str:
    """The tutorial's code cells in order; cell options (``:tags:`` lines) are dropped."""
    cells = []
    for body in CELL.findall(path.read_text(encoding="utf-8")):
        lines = body.splitlines()
        while lines and lines[0].startswith(":"):          # cell options, e.g. ":tags: [...]"
            lines.pop(0)
        cells.append("\n".join(lines))
    return "\n\n".join(f"# --- cell {i}\n{c}" for i, c in enumerate(cells))


def test_code_cells_are_found():
    sample = "text\n```{code-cell} ipython3\n:tags: [hide-output]\nx = 1\n```\nmore\n"
    sample += "```{code-cell} ipython3\nassert x == 1\n```\n"
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "rlth_tutorial_parse_check.md"
    path.write_text(sample, encoding="utf-8")
    try:
        code = code_of(path)
    finally:
        path.unlink()
    assert "x = 1" in code and "assert x == 1" in code and ":tags:" not in code


def test_there_are_tutorials():
    assert len(tutorial_files()) >= 5


@pytest.mark.parametrize("path", tutorial_files(), ids=lambda p: p.stem)
def test_tutorial_runs(path, tmp_path):
    code = code_of(path)
    assert code.strip(), f"{path.name} has no code cells"
    assert "assert" in code, f"{path.name} checks no answer (its exercises must assert)"
    script = tmp_path / f"{path.stem}.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert proc.returncode == 0, f"{path.name} failed:\n{proc.stderr[-4000:]}"
