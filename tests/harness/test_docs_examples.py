"""Every runnable example a user reads: the README's ``python`` code blocks and the docstring
examples of every rlth module (``>>>``).  Both drift silently unless the suite runs them."""
import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import rlth

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
MODULES = sorted(m.name for m in pkgutil.walk_packages(rlth.__path__, "rlth."))


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index):
    exec(compile(BLOCKS[index], f"README.md python block {index}", "exec"), {})


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
