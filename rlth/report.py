"""Markdown reports generated from the theorem registry and the committed verdict CSVs.

The README's tables and the documentation's theorem catalogue, gallery and per-family verdict
tables are *generated* from two sources of truth, so no number is typed by hand:

* the theorem registry (:func:`rlth.theory.all_theorems`): paper, number, statement,
  provenance, predicted exponent;
* the verdict CSVs that ``rlth check`` writes next to the figures
  (``paper_figures/<experiment>_verdicts.csv``, one row per check).

Every function returns a Markdown string (MyST-compatible); ``rlth report`` writes them.
``families`` arguments map a family (experiment file stem) to its list of
:class:`rlth.experiment.Experiment` objects, as :func:`rlth.cli.discover` finds them.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from .theory import Theorem, all_theorems

__all__ = ["VERDICTS", "read_verdicts", "family_of_experiment", "glance_table",
           "verdict_table", "theorem_catalogue", "gallery", "fidelity_summary"]

#: Verdicts in the order the tables list them.
VERDICTS = ("PASS", "INCONCLUSIVE", "VACUOUS-BOUND", "NOT-IN-REGIME", "FAIL")
_SHORT = {"INCONCLUSIVE": "INCONCL.", "VACUOUS-BOUND": "VACUOUS", "NOT-IN-REGIME": "NOT-IN-REG."}


def read_verdicts(directory) -> list[dict]:
    """Rows of every ``*_verdicts.csv`` directly in ``directory`` (sorted by file name).

    Raises
    ------
    ValueError
        If ``directory`` is not a directory, or a file lacks the ``experiment``, ``theorem``
        or ``verdict`` column.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"directory: {str(directory)!r} is not a directory")
    rows = []
    for path in sorted(directory.glob("*_verdicts.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = {"experiment", "theorem", "verdict"} - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"directory: {path.name} lacks the columns {sorted(missing)}")
            rows += list(reader)
    return rows


def family_of_experiment(families: dict) -> dict[str, str]:
    """Experiment name -> family (file stem)."""
    return {e.name: fam for fam, exps in families.items() for e in exps}


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(text, fmt="+.3f") -> str:
    try:
        return format(float(text), fmt)
    except (TypeError, ValueError):
        return str(text)


def _measured(row: dict) -> str:
    if row.get("slope", "n/a") in ("", "n/a", "nan"):
        return "level check" if row.get("bound", "n/a") not in ("", "n/a") else "n/a"
    return f"{_num(row['slope'])} [{_num(row['ci_low'])}, {_num(row['ci_high'])}]"


def _short_paper(th: Theorem) -> str:
    """``First-author et al. (year), arXiv id`` (or the paper string when it has no author list)."""
    year = re.search(r"\((\d{4})\)", th.paper)
    first = th.paper.split(",")[0].split("(")[0].strip()
    name = f"{first} et al. ({year.group(1)})" if year and "," in th.paper else th.paper
    return f"{name}, arXiv {th.arxiv}" if th.arxiv else name


def _counts_row(name: str, rows: list[dict]) -> str:
    c = Counter(r["verdict"] for r in rows)
    cells = [str(c.get(v, 0)) for v in VERDICTS]
    odd = sorted({f"{r['theorem']} ({r['verdict']})" for r in rows if r["verdict"] != "PASS"})
    return f"| {name} | {len(rows)} | " + " | ".join(cells) + f" | {_cell(', '.join(odd)) or '-'} |"


def glance_table(verdicts: list[dict], families: dict, titles: dict | None = None) -> str:
    """One row per family: number of checks, count per verdict, and the checks not PASSing."""
    fam_of = family_of_experiment(families)
    titles = titles or {}
    head = ("| family | checks | " + " | ".join(_SHORT.get(v, v) for v in VERDICTS)
            + " | checks that do not PASS |\n|" + "---|" * (len(VERDICTS) + 3))
    lines = [head]
    for fam in families:
        rows = [r for r in verdicts if fam_of.get(r["experiment"]) == fam]
        if rows:
            lines.append(_counts_row(titles.get(fam, fam), rows))
    lines.append(_counts_row("**all**", [r for r in verdicts if r["experiment"] in fam_of]))
    return "\n".join(lines) + "\n"


def verdict_table(verdicts: list[dict], experiments) -> str:
    """Every check of these experiments: theorem, curve, kind, predicted, measured slope with
    its 95% bootstrap CI, decades fitted, verdict and the reason the harness gave."""
    names = [e.name for e in experiments]
    lines = ["| experiment | theorem | curve | kind | predicted | measured | decades | verdict "
             "| reason |", "|---|---|---|---|---|---|---|---|---|"]
    for r in sorted((r for r in verdicts if r["experiment"] in names),
                    key=lambda r: names.index(r["experiment"])):
        label = r.get("label", "") + (f" {r['normalize_label']}" if r.get("normalize_label") else "")
        lines.append(
            f"| {r['experiment']} | `{r['theorem']}` | {_cell(label)} | {r.get('kind', '')} "
            f"| {_num(r.get('predicted', ''), '+.3g')} | {_measured(r)} "
            f"| {_num(r.get('decades', ''), '.2f')} | **{r['verdict']}** "
            f"| {_cell(r.get('reason', ''))} |")
    return "\n".join(lines) + "\n"


def _label(theorem_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", theorem_id.lower()).strip("-")


def _figures_of(theorem_id: str, families: dict) -> list[tuple[str, str]]:
    return [(f"{e.name}_{f.name}", f.title or e.title) for exps in families.values()
            for e in exps for f in e.figures if f.theorem == theorem_id]


def theorem_catalogue(verdicts: list[dict], families: dict, figure_prefix: str = "",
                      theorems: dict[str, Theorem] | None = None) -> str:
    """Every registered theorem: paper and number, statement, provenance, predicted exponent,
    its latest verdicts and the figures that show it.  ``figure_prefix`` is prepended to the
    figure paths (e.g. ``"../../paper_figures/"``).  Statements are ``{prf:theorem}`` blocks
    (sphinx-proof) labelled ``thm-<id with dashes>``."""
    theorems = all_theorems() if theorems is None else theorems
    by_family: dict[str, list[Theorem]] = {}
    for th in theorems.values():
        by_family.setdefault(th.id.split(".")[0], []).append(th)
    out = []
    for fam in sorted(by_family):
        out.append(f"## {fam}\n")
        for th in sorted(by_family[fam], key=lambda t: t.id):
            rows = [r for r in verdicts if r["theorem"] == th.id]
            c = Counter(r["verdict"] for r in rows)
            latest = ", ".join(f"{c[v]} {v}" for v in VERDICTS if c.get(v)) or "not checked"
            exp = "none (level or exact check)" if th.exponent is None else f"{th.exponent:+g}"
            out.append(f"### `{th.id}`\n")
            out.append(f":::{{prf:theorem}} {_cell(th.number)}\n:label: thm-{_label(th.id)}\n\n"
                       f"{th.statement}\n:::\n")
            link = f", [arXiv {th.arxiv}](https://arxiv.org/abs/{th.arxiv})" if th.arxiv else ""
            out.append(f"{th.paper}{link}. Provenance **{th.provenance}**.\n")
            out.append(f"- quantity: {th.quantity}\n- sweep variable `{th.sweep_variable}`; "
                       f"kind `{th.kind}`, statistic `{th.statistic}`; predicted exponent {exp}"
                       f" (tolerance {th.tolerance:g})"
                       + (f"; regime: {th.regime}" if th.regime else "") + "\n"
                       f"- latest verdicts (committed full profile): **{latest}**\n")
            if th.notes:
                out.append(f"- notes: {th.notes}\n")
            if rows:
                out.append("\n| experiment | curve | measured | verdict |\n|---|---|---|---|")
                out += [f"| {r['experiment']} | {_cell(r.get('label', ''))} | {_measured(r)} "
                        f"| {r['verdict']} |" for r in rows]
                out.append("")
            for stem, title in _figures_of(th.id, families):
                out.append(f"\n![{_cell(title)}]({figure_prefix}{stem}.png)\n")
            out.append("")
    return "\n".join(out) + "\n"


def gallery(families: dict, figure_dir, figure_prefix: str = "") -> str:
    """Every committed figure of every experiment, with its caption, the theorem it shows, the
    CSV behind it and the command that regenerates it; then the PNGs of ``figure_dir`` that no
    experiment's ``Figure`` names (drawn by an experiment file's own script)."""
    figure_dir = Path(figure_dir)
    out = []
    for fam, exps in families.items():
        out.append(f"## {fam}\n")
        for e in exps:
            for f in e.figures:
                stem = f"{e.name}_{f.name}"
                if not (figure_dir / f"{stem}.png").is_file():
                    continue
                out.append(f"### {stem}\n")
                out.append(f"![{_cell(f.title or e.title)}]({figure_prefix}{stem}.png)\n")
                what = f"shows theorem `{f.theorem}`; " if f.theorem else ""
                out.append(f"{_cell(f.title or e.title)}. {what}experiment `{e.name}` "
                           f"({_cell(e.title)}); data `paper_figures/{stem}.csv`. Regenerate: "
                           f"`rlth check {e.name} --profile full` (figures only, from stored "
                           f"records: `rlth figures {e.name} --profile full`).\n")
    shown = {f"{e.name}_{f.name}" for exps in families.values() for e in exps for f in e.figures}
    extra = [p for p in sorted(figure_dir.glob("*.png")) if p.stem not in shown]
    if extra:
        out.append("## Figures drawn outside the harness\n")
        for p in extra:
            fam = next((f for f in sorted(families, key=len, reverse=True)
                        if p.stem.startswith(f + "_")), None)
            where = (f"written by `python experiments/{fam}.py` (see that file's docstring for "
                     f"the options)" if fam else "not written by an experiment file")
            out.append(f"### {p.stem}\n")
            out.append(f"![{p.stem}]({figure_prefix}{p.name})\n")
            out.append(f"A figure of the `{fam or '?'}` family that is not a harness `Figure`: "
                       f"{where}; data `paper_figures/{p.stem}.csv`.\n")
    return "\n".join(out) + "\n"


def fidelity_summary(theorems: dict[str, Theorem] | None = None) -> str:
    """Per family: its papers and how many theorems carry each provenance tag."""
    theorems = all_theorems() if theorems is None else theorems
    tags = ("[V]", "[V3]", "[R]", "[D]")
    lines = ["| family | papers | theorems | " + " | ".join(tags) + " |",
             "|---|---|---|" + "---|" * len(tags)]
    by_family: dict[str, list[Theorem]] = {}
    for th in theorems.values():
        by_family.setdefault(th.id.split(".")[0], []).append(th)
    for fam in sorted(by_family):
        ths = by_family[fam]
        papers = sorted({_short_paper(t) for t in ths})
        counts = [sum(tag in t.provenance for t in ths) for tag in tags]
        lines.append(f"| {fam} | {_cell('; '.join(papers))} | {len(ths)} | "
                     + " | ".join(map(str, counts)) + " |")
    return "\n".join(lines) + "\n"
