"""Assemble README.md from docs/readme/: the head (with the results and benchmark tables) and one
section per family.  Edit the section files, then run ``python docs/build_readme.py KEY=VALUE ...``
(KEY fills a ``__KEY__`` placeholder of the head, e.g. measured times)."""
import pathlib
import sys

DOCS = pathlib.Path(__file__).parent / "readme"
ROOT = DOCS.parent.parent
SECTIONS = ("models", "dp", "sparse", "games", "data", "adapters", "harness", "lcb", "stepmix",
            "nash_md", "pnlsvi", "hetpevi", "vpo", "glow")


def anchor(title: str) -> str:
    return "".join(c for c in title.lower().replace(" ", "-") if c.isalnum() or c in "-_")


def build(subs: dict[str, str]) -> str:
    head = (DOCS / "_head.md").read_text().replace(
        "__GLANCE_TABLE__", (DOCS / "_glance.md").read_text().strip() + "\n" + (DOCS / "_bench.md").read_text())
    for key, value in subs.items():
        head = head.replace(f"__{key}__", value)
    if "__" in head.replace("__init__", ""):
        raise SystemExit("README head has an unfilled __PLACEHOLDER__: pass it as KEY=VALUE")
    texts = [(DOCS / f"{name}.md").read_text().strip() for name in SECTIONS]
    titles = [next(line[3:] for line in t.splitlines() if line.startswith("## ")) for t in texts]
    toc = "## Contents\n\n" + "\n".join(f"- [{t}](#{anchor(t)})" for t in titles)
    body = "\n\n".join(texts).replace("](../../paper_figures/", "](paper_figures/")
    return f"{head.rstrip()}\n\n{toc}\n\n{body}\n"


if __name__ == "__main__":
    (ROOT / "README.md").write_text(build(dict(a.split("=", 1) for a in sys.argv[1:])))
