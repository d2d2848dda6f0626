"""The README is generated (``docs/build_readme.py``): its tables come from the theorem registry
and the committed verdict CSVs, so it must equal what the script writes now.  The builder runs in
a fresh interpreter (other tests register throwaway theorems in this one)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_is_what_the_builder_writes():
    built = subprocess.run([sys.executable, str(ROOT / "docs" / "build_readme.py"), "--stdout"],
                           capture_output=True, text=True, check=True, cwd=ROOT).stdout
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text == built, ("README.md is stale: run `python docs/build_readme.py` "
                           "(its tables come from paper_figures/*_verdicts.csv)")


def test_readme_is_a_front_page():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 300
    assert lines[0] == "# rlth"
    assert sum(line.rstrip().endswith("# tests") for line in lines) == 1
