"""Every runnable example a user reads: the ``python`` code blocks of the README and of every
documentation page (``docs/**/*.md``; the tutorials are run by ``tests/docs/test_tutorials.py``)
and the docstring examples of every rlth module (``>>>``).  They drift silently unless the suite
runs them."""
import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import rlth

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md"] + sorted(
    p for p in (ROOT / "docs").rglob("*.md")
    if not {"tutorials", "_build", "_generated", "readme", "jupyter_execute"} & set(p.parts))
BLOCKS = [(f"{page.relative_to(ROOT)} python block {i}", code) for page in PAGES
          for i, code in enumerate(re.findall(r"```python\n(.*?)```",
                                              page.read_text(encoding="utf-8"), re.S))]
MODULES = sorted(m.name for m in pkgutil.walk_packages(rlth.__path__, "rlth."))


def test_pages_have_python_examples():
    assert any(name.startswith("README.md") for name, _ in BLOCKS)
    assert len(BLOCKS) >= 15


@pytest.mark.parametrize("name, code", BLOCKS, ids=[name for name, _ in BLOCKS])
def test_page_block_runs(name, code):
    exec(compile(code, name, "exec"), {})


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name, globs=vars(module).copy()):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed"


def test_docstring_examples_exist():
    finder = doctest.DocTestFinder(exclude_empty=True)
    n = sum(len(t.examples) for name in MODULES
            for t in finder.find(importlib.import_module(name), name))
    assert n >= 30, n
