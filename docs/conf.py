"""Sphinx configuration of the rlth documentation site (``sphinx-build -W -b html docs docs/_build/html``).

Before reading the sources, the pages that hold numbers are generated from the theorem registry
and the committed verdict CSVs (``rlth.report``) into ``docs/_generated/`` (git-ignored), so the
site never shows a hand-typed verdict.  Tutorials are MyST notebooks executed at build time.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import rlth  # noqa: E402
from rlth import cli, report, theory  # noqa: E402

project = "rlth"
author = "the rlth developers"
copyright = "2026, the rlth developers"
release = version = rlth.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_proof",
    "sphinx_exercise",
    "sphinx_togglebutton",      # folds the exercise solutions (class: dropdown)
    "sphinxcontrib.bibtex",
]

exclude_patterns = ["_build", "readme", "_generated", "**/.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
# numpydoc "References" sections list papers as footnotes ``.. [1]`` that the text need not cite;
# short attribute names (``V``, ``P``, ``pi``) are shared by many result classes, and an
# ambiguous cross-reference to one of them resolves to the first (ref.python)
suppress_warnings = ["myst.header", "ref.footnote", "ref.python"]

# MyST and notebooks
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "force"
nb_execution_timeout = 120
nb_execution_raise_on_error = True
nb_execution_show_tb = True

# API reference: numpydoc-style docstrings with the project's "Guarantee" section
autosummary_generate = True
# a package's ``__all__`` re-exports names of its modules: document each object once, where
# it is defined (the module pages), not again on the package page
autodoc_default_options = {"members": True, "ignore-module-all": True}
autodoc_typehints = "description"
# gymnasium.Env.step's docstring is not ours (and not valid reST): document only what rlth wrote
autodoc_inherit_docstrings = False
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_custom_sections = [("Guarantee", "notes_style")]

bibtex_bibfiles = ["references.bib"]
bibtex_reference_style = "author_year"

html_theme = "pydata_sphinx_theme"
html_title = "rlth"
html_theme_options = {
    "navigation_depth": 3,
    "show_toc_level": 2,
    "github_url": "https://github.com/rlth/rlth",
}
html_static_path = ["_static"]

# Maths is typeset by MathJax 3, loaded from its CDN.  Offline, point RLTH_DOCS_MATHJAX at a local
# MathJax 3 ``es5`` directory (e.g. ``npm install mathjax@3`` -> node_modules/mathjax/es5): it is
# copied into the site and used instead.
if os.environ.get("RLTH_DOCS_MATHJAX"):
    html_static_path.append(os.environ["RLTH_DOCS_MATHJAX"])
    mathjax_path = "tex-mml-chtml.js"


def generate_pages() -> None:
    """Write the generated Markdown pages into ``docs/_generated/``."""
    out = DOCS / "_generated"
    out.mkdir(exist_ok=True)
    figures = ROOT / "paper_figures"
    reg = cli.discover()
    theory.all_theorems()
    verdicts = report.read_verdicts(figures)
    prefix = "../../paper_figures/"
    pages = {
        "glance.md": report.glance_table(verdicts, reg.families),
        "fidelity_summary.md": report.fidelity_summary(),
        "theorems.md": report.theorem_catalogue(verdicts, reg.families, prefix),
        "gallery.md": report.gallery(reg.families, figures, prefix),
    }
    for fam, exps in reg.families.items():
        pages[f"verdicts_{fam}.md"] = report.verdict_table(verdicts, exps)
    for name, text in pages.items():
        path = out / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


generate_pages()
