"""The family contract, as a test (docs/contributing/family_contract.md).

For every theorem-id prefix registered in :mod:`rlth.theory` (the part of the id before the first
dot) the family that owns it must ship:

* the theory module ``rlth/theory/<family>.py`` registering each of the prefix's theorems;
* the experiment file ``experiments/<family>.py``, with a ``quick`` profile for every experiment,
  whose checks cover every theorem of the prefix (so at least one check per prefix);
* a docs page ``docs/families/<page>.md`` (or a how-to page ``docs/howto/<page>.md``), listed
  in the toctree of its section's ``index.md`` so the documentation site shows it;
* a row of the fidelity table (the page ``docs/explanation/fidelity.md``) naming the arXiv id of the family's paper (the ``arxiv`` of the theorems whose prefix is the
  family's own name).

A failure names the prefix, the family and the missing piece.  The checker is tested at the
bottom on a fake prefix that has nothing.
"""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: Theorem-id prefix -> family (file stem of ``experiments/<family>.py`` and
#: ``rlth/theory/<family>.py``) where the two differ; every other prefix is its own family.
PREFIX_FAMILY = {
    "ucbvi": "stepmix",     # UCBVI (Azar et al.) is StepMix's exploration engine and baseline
    "epsmix": "stepmix",    # EpsMix is StepMix's per-episode variant (same paper, Li et al.)
    "episodic": "stepmix",  # episodic minimax lower bounds, checked in StepMix's experiments
}

#: Family -> docs page stem (docs/families/ or docs/howto/) where it is not ``<family>``.
DOCS_PAGE = {
    "selftest": "harness",  # the harness self-test is documented on the harness how-to page
}

#: Families without a fidelity-table row, and why.
NO_FIDELITY_ROW = {
    "selftest": "harness self-test: implements no paper's algorithm (elementary probability, [D])",
}


def family_of(prefix: str) -> str:
    return PREFIX_FAMILY.get(prefix, prefix)


def prefix_of(theorem_id: str) -> str:
    return theorem_id.split(".", 1)[0]


@dataclass
class Evidence:
    """What the repository holds, gathered once (or made up by the self-tests)."""

    theorems: dict[str, str]                       # theorem id -> arXiv id ("" if none)
    theory_ids: dict[str, set[str]]                # theory module stem -> ids it registers
    checks: dict[str, set[str]]                    # experiments/<stem>.py -> theorem ids checked
    no_quick: dict[str, list[str]]                 # experiments/<stem>.py -> no 'quick' profile
    experiment_errors: dict[str, str]              # experiments/<stem>.py -> load error
    docs_pages: set[str]                           # stems of docs/families/, docs/howto/
    site_pages: set[str]                           # stems in those sections' toctrees
    fidelity_table: str                            # the rows of the README fidelity table


def contract_problems(ev: Evidence) -> list[str]:
    """One message per missing piece of any family."""
    out = []
    for stem, err in sorted(ev.experiment_errors.items()):
        out.append(f"experiments/{stem}.py does not load: {err}")
    by_prefix: dict[str, list[str]] = {}
    for tid in ev.theorems:
        by_prefix.setdefault(prefix_of(tid), []).append(tid)
    for prefix, ids in sorted(by_prefix.items()):
        fam = family_of(prefix)
        who = f"prefix {prefix!r} (family {fam!r})"
        # theory module
        if fam not in ev.theory_ids:
            out.append(f"{who}: no theory module rlth/theory/{fam}.py")
        else:
            missing = sorted(set(ids) - ev.theory_ids[fam])
            if missing:
                out.append(f"{who}: theorems not registered by rlth/theory/{fam}.py: "
                           + ", ".join(missing))
        # experiment and checks
        if fam not in ev.checks:
            out.append(f"{who}: no experiment file experiments/{fam}.py registering a check")
        else:
            checked = ev.checks[fam]
            if not any(prefix_of(t) == prefix for t in checked):
                out.append(f"{who}: experiments/{fam}.py registers no check of a {prefix}.* "
                           f"theorem")
            else:
                unchecked = sorted(set(ids) - checked)
                if unchecked:
                    out.append(f"{who}: theorems no check of experiments/{fam}.py covers: "
                               + ", ".join(unchecked))
            if ev.no_quick.get(fam):
                out.append(f"{who}: experiments of experiments/{fam}.py without a 'quick' "
                           f"profile: " + ", ".join(ev.no_quick[fam]))
        # docs page
        page = DOCS_PAGE.get(fam, fam)
        if page not in ev.docs_pages:
            out.append(f"{who}: no docs page docs/families/{page}.md")
        elif page not in ev.site_pages:
            out.append(f"{who}: docs page {page}.md is not in the toctree of docs/families/index.md "
                       f"(or docs/howto/index.md), so the site does not show it")
        # fidelity row
        if fam not in NO_FIDELITY_ROW:
            papers = sorted({ev.theorems[t] for t in ev.theorems if prefix_of(t) == fam} - {""})
            if not papers:
                out.append(f"{who}: the family's own theorems ({fam}.*) name no arXiv id, so its "
                           f"fidelity row cannot be found; give them `arxiv=` or list the family "
                           f"in NO_FIDELITY_ROW with a reason")
            for arxiv in papers:
                if arxiv not in ev.fidelity_table:
                    out.append(f"{who}: the fidelity table (docs/explanation/fidelity.md) has no "
                               f"row naming arXiv {arxiv}")
    # checks naming theorems nobody registered
    for stem, checked in sorted(ev.checks.items()):
        unknown = sorted(checked - set(ev.theorems))
        if unknown:
            out.append(f"experiments/{stem}.py checks unregistered theorems: " + ", ".join(unknown))
    return out


# ----------------------------------------------------------------------------------------------
# gathering the evidence from the repository


def _registered_ids(path: Path) -> set[str]:
    """Every string constant of a theory module (the ids it registers are among them)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)}


def fidelity_table(page: str) -> str:
    """The table rows of the ``# Fidelity`` section (up to the next ``##``) of the fidelity page."""
    m = re.search(r"^# Fidelity\s*$(.*?)(?=^## |\Z)", page, flags=re.M | re.S)
    if not m:
        return ""
    return "\n".join(line for line in m.group(1).splitlines() if line.startswith("|"))


def toctree_pages(index: Path) -> set[str]:
    """Stems listed in the ``{toctree}`` blocks of a MyST ``index.md``."""
    pages = set()
    for block in re.findall(r"```\{toctree\}\n(.*?)```", index.read_text(encoding="utf-8"), re.S):
        pages |= {line.strip() for line in block.splitlines()
                  if line.strip() and not line.startswith(":")}
    return pages


def _package_theorems() -> dict:
    """``{id: arxiv}`` of every theorem the package and its experiments register, read in a fresh
    interpreter: other tests register throwaway theorems (``core.*``, ``clitest.*``) in this
    process's registry, which must not count as families."""
    code = ("import json; from pathlib import Path; from rlth import theory; "
            "from rlth.cli import discover; discover(Path(%r)); "
            "print(json.dumps({t: th.arxiv for t, th in theory.all_theorems().items()}))"
            % str(REPO / "experiments"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def gather() -> Evidence:
    import importlib

    from rlth.cli import discover
    from rlth.theory import Theorem

    theorems = _package_theorems()
    theory_ids = {}
    for path in sorted((REPO / "rlth" / "theory").glob("*.py")):
        if path.name.startswith("_"):
            continue
        ids = _registered_ids(path)
        module = importlib.import_module(f"rlth.theory.{path.stem}")
        ids |= {v.id for v in vars(module).values() if isinstance(v, Theorem)}
        theory_ids[path.stem] = ids & set(theorems)
    registry = discover(REPO / "experiments")
    checks = {stem: {c.theorem for e in exps for c in e.checks}
              for stem, exps in registry.families.items()}
    no_quick = {stem: [e.name for e in exps if "quick" not in e.profiles]
                for stem, exps in registry.families.items()}
    docs = REPO / "docs"
    return Evidence(
        theorems=theorems, theory_ids=theory_ids, checks=checks, no_quick=no_quick,
        experiment_errors=dict(registry.errors),
        docs_pages={p.stem for d in ("families", "howto") for p in (docs / d).glob("*.md")},
        site_pages=toctree_pages(docs / "families" / "index.md")
        | toctree_pages(docs / "howto" / "index.md"),
        fidelity_table=fidelity_table(
            (docs / "explanation" / "fidelity.md").read_text(encoding="utf-8")),
    )


@pytest.fixture(scope="module")
def evidence():
    return gather()


def test_every_family_keeps_the_contract(evidence):
    assert evidence.theorems, "no theorem registered in rlth.theory"
    problems = contract_problems(evidence)
    assert not problems, "family contract broken:\n  " + "\n  ".join(problems)


def test_the_maps_name_real_families(evidence):
    prefixes = {prefix_of(t) for t in evidence.theorems}
    assert set(PREFIX_FAMILY) <= prefixes, "PREFIX_FAMILY names a prefix no theorem has"
    families = {family_of(p) for p in prefixes}
    assert set(DOCS_PAGE) <= families and set(NO_FIDELITY_ROW) <= families
    assert evidence.fidelity_table, "fidelity table not found in docs/explanation/fidelity.md"


def test_contract_page_lists_the_prefix_map():
    page = (REPO / "docs" / "contributing" / "family_contract.md").read_text(encoding="utf-8")
    for prefix, fam in PREFIX_FAMILY.items():
        assert f"`{prefix}`" in page and f"`{fam}`" in page, prefix


# ----------------------------------------------------------------------------------------------
# the checker itself


def _complete(**changes) -> Evidence:
    ev = Evidence(
        theorems={"lcb.mab.upper": "2103.12021", "lcb.cb.upper": "2103.12021",
                  "ucbvi.bf.regret": "1703.05449", "stepmix.regret": "2306.06265"},
        theory_ids={"lcb": {"lcb.mab.upper", "lcb.cb.upper"},
                    "stepmix": {"ucbvi.bf.regret", "stepmix.regret"}},
        checks={"lcb": {"lcb.mab.upper", "lcb.cb.upper"},
                "stepmix": {"ucbvi.bf.regret", "stepmix.regret"}},
        no_quick={}, experiment_errors={},
        docs_pages={"lcb", "stepmix", "_head"}, site_pages={"lcb", "stepmix"},
        fidelity_table=("| LCB | R. 2021 (arXiv 2103.12021) |\n"
                        "| StepMix | L. 2023 (arXiv 2306.06265) |"),
    )
    for k, v in changes.items():
        setattr(ev, k, v)
    return ev


def test_checker_passes_a_complete_family_set():
    assert contract_problems(_complete()) == []


def test_checker_reports_every_missing_piece_of_a_fake_prefix():
    ev = _complete()
    ev.theorems["ghost.thm.upper"] = "9999.00001"
    problems = contract_problems(ev)
    ghost = [p for p in problems if "'ghost'" in p]
    assert problems == ghost and len(ghost) == 4, problems
    assert "rlth/theory/ghost.py" in ghost[0]
    assert "experiments/ghost.py" in ghost[1]
    assert "docs/families/ghost.md" in ghost[2]
    assert "fidelity table" in ghost[3] and "9999.00001" in ghost[3]


def test_checker_reports_partial_families():
    ev = _complete(checks={"lcb": {"lcb.mab.upper"}, "stepmix": {"stepmix.regret", "nope.x"}},
                   no_quick={"lcb": ["lcb_s1"]}, site_pages={"lcb"},
                   theory_ids={"lcb": {"lcb.mab.upper", "lcb.cb.upper"},
                               "stepmix": {"stepmix.regret"}},
                   experiment_errors={"broken": "SyntaxError: x"})
    problems = "\n".join(contract_problems(ev))
    assert "experiments/broken.py does not load" in problems
    assert "no check of experiments/lcb.py covers: lcb.cb.upper" in problems
    assert "without a 'quick' profile: lcb_s1" in problems
    assert "prefix 'ucbvi' (family 'stepmix'): theorems not registered by rlth/theory/stepmix.py" \
        in problems
    assert "registers no check of a ucbvi.* theorem" in problems
    assert "stepmix.md is not in the toctree" in problems
    assert "checks unregistered theorems: nope.x" in problems


def test_fidelity_table_is_read_from_its_section_only():
    page = ("# Notes\n\n| a | arXiv 1111.11111 |\n\n# Fidelity\n\ntext\n\n"
            "| algorithm | paper |\n|---|---|\n| X | arXiv 2222.22222 |\n\n## Next\n| arXiv 3 |\n")
    table = fidelity_table(page)
    assert "2222.22222" in table and "1111.11111" not in table and "arXiv 3" not in table
