"""Assemble README.md: the front page ``docs/readme/front.md`` with its tables generated from the
theorem registry and the committed verdict CSVs (``rlth.report``).

Run ``python docs/build_readme.py`` after the verdicts change (``tests/docs/test_readme.py``
fails while README.md differs from what this script writes).  The measured times of the two
commands are kept in ``docs/readme/measured.json``; update them with
``python docs/build_readme.py MAIN_JOB="..." TEST_SUITE="..."``.
"""
from __future__ import annotations

import json
import pathlib
import sys

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
MEASURED = DOCS / "readme" / "measured.json"


def build() -> str:
    from rlth import report, theory
    from rlth.cli import discover

    families = discover(ROOT / "experiments").families
    theory.all_theorems()
    verdicts = report.read_verdicts(ROOT / "paper_figures")
    subs = dict(json.loads(MEASURED.read_text(encoding="utf-8")),
                GLANCE=report.glance_table(verdicts, families).strip(),
                FIDELITY=report.fidelity_summary().strip())
    text = (DOCS / "readme" / "front.md").read_text(encoding="utf-8")
    for key, value in subs.items():
        text = text.replace(f"__{key}__", value)
    if "__" in text.replace("__init__", ""):
        raise SystemExit("README front page has an unfilled __PLACEHOLDER__: pass it as KEY=VALUE")
    return text


if __name__ == "__main__":
    if sys.argv[1:] == ["--stdout"]:          # for the test: the README as it would be written
        sys.stdout.write(build())
        raise SystemExit(0)
    if len(sys.argv) > 1:
        measured = json.loads(MEASURED.read_text(encoding="utf-8"))
        measured.update(a.split("=", 1) for a in sys.argv[1:])
        MEASURED.write_text(json.dumps(measured, indent=1) + "\n", encoding="utf-8")
    (ROOT / "README.md").write_text(build(), encoding="utf-8")
