"""The import rules of the package, as a test (docs/contributing/family_contract.md).

Every module under ``rlth/`` is parsed with :mod:`ast` (never imported): *all* its imports count,
including those inside functions and under ``if TYPE_CHECKING:``, and relative imports are
resolved to absolute ``rlth.x.y`` names.  Each module belongs to a *room* (``rlth/models/*`` ->
``models``, ``rlth/sweep.py`` -> ``sweep``, ``rlth/__init__.py`` -> ``rlth``, ...), and:

1. every import between two different rooms must be an edge of :data:`ALLOWED` (or one of the
   named, reasoned :data:`EXCEPTIONS`);
2. :data:`ALLOWED` itself goes strictly downwards in :data:`RANK` (data flows models ->
   solvers / data -> algorithms -> sweep -> rates -> plotting / cli; nothing lower imports
   anything higher), so it has no cycle; the graph of the actual imports has no cycle either;
3. no module imports a private name (a path component or imported name starting with ``_``)
   owned by a package (directory) other than its own; the shared private rooms ``rlth._rng``,
   ``rlth._validation`` and ``rlth._kernels`` are the only private names meant for every room.

The checker functions are tested on synthetic import maps at the bottom, so a violation is known
to make this file fail.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "rlth"

LAYER1 = {"_rng", "_validation"}

#: Room -> rooms it may import (its own room is always allowed).  Design: layer 1 (``_rng``,
#: ``_validation``, ``experiment``, ``store``) imports nothing of rlth; ``models`` only the
#: validation helpers; ``instances`` only models; ``estimators`` only ``_validation``, ``_rng``,
#: ``_kernels``, ``models``; ``algorithms`` never sweep, rates, plotting, cli nor theory;
#: ``theory`` nothing from algorithms.  Each set is the room's current imports plus the edges the
#: rules plainly give a room of its kind (some are not used yet, e.g. ``theory -> solvers``).
ALLOWED: dict[str, set[str]] = {
    "_rng": set(),
    "_validation": set(),
    "experiment": set(),
    "store": set(),
    # textbook numpy oracles (issue 16): import nothing of rlth, so they stay independent checks
    "reference": set(),
    "rlth": set(LAYER1),                       # the top-level package re-exports layer 1
    "_kernels": set(LAYER1),
    "models": set(LAYER1),
    "instances": LAYER1 | {"models"},
    "solvers": LAYER1 | {"_kernels", "models"},
    "data": LAYER1 | {"_kernels", "models"},
    "estimators": LAYER1 | {"_kernels", "models"},
    # closed forms may use exact models, instances, solvers and statistics
    "theory": LAYER1 | {"_kernels", "models", "instances", "solvers", "estimators"},
    "testing": LAYER1 | {"models", "instances", "solvers", "data", "estimators"},
    "algorithms": LAYER1 | {"_kernels", "models", "solvers", "data", "estimators"},
    # gymnasium views of exact models and exact scores of outside agents (issue 18)
    "adapters": LAYER1 | {"models", "solvers"},
    "sweep": LAYER1 | {"experiment", "store"},
    "rates": LAYER1 | {"experiment", "store", "theory", "sweep"},
    "plotting": LAYER1 | {"rlth", "experiment", "store", "theory", "sweep", "rates"},
    # Markdown reports from the registry and the verdict CSVs (issue 16)
    "report": LAYER1 | {"theory"},
    "cli": LAYER1 | {"rlth", "experiment", "store", "theory", "sweep", "rates", "plotting",
                     "report"},
}

#: Height of each room: an allowed edge goes from a higher rank to a strictly lower one.
RANK: dict[str, int] = {
    "_rng": 0, "_validation": 0,
    "experiment": 1, "store": 1, "reference": 1, "rlth": 1, "_kernels": 1,
    "models": 2,
    "instances": 3, "solvers": 3, "data": 3, "estimators": 3,
    "theory": 4, "testing": 4, "algorithms": 4, "adapters": 4,
    "sweep": 5, "rates": 6, "plotting": 7, "report": 7, "cli": 8,
}


@dataclass(frozen=True)
class Exception_:
    """An import that breaks a rule on purpose: allowed only if every such import is lazy (inside
    a function) when ``lazy_only``; ``reason`` says why."""

    src: str
    dst: str
    reason: str
    lazy_only: bool = True


#: Known exceptions (the lead decides on each; see the report of issue 10).  They are left out of
#: the cycle check because a lazy import does not run at import time.
EXCEPTIONS: tuple[Exception_, ...] = (
    Exception_("store", "rlth", "store.metadata reads rlth.__version__ (rlth/__init__ imports only "
               "_rng), inside the function"),
    Exception_("experiment", "cli", "convenience Experiment.main runs the CLI on one experiment, "
               "imported inside the method"),
)

#: Private modules meant for every room (the underscore means "not public API").
SHARED_PRIVATE = ("rlth._rng", "rlth._validation", "rlth._kernels")


# ----------------------------------------------------------------------------------------------
# parsing


@dataclass(frozen=True)
class Imp:
    """One imported thing: ``target`` is a module (``rlth.solvers.dp``); ``name`` the attribute
    imported from it (``_fh_backup``) or ``""`` for the module itself."""

    src: str           # importing module
    target: str
    name: str
    line: int
    toplevel: bool     # at module level (runs at import time), not inside a function
    path: str = ""     # file of the importing module, for messages

    @property
    def full(self) -> str:
        return f"{self.target}.{self.name}" if self.name else self.target

    def where(self) -> str:
        what = f"from {self.target} import {self.name}" if self.name else f"import {self.target}"
        return f"{self.path or self.src}:{self.line}: {self.src}: `{what}`"


def module_name(path: Path, package_dir: Path = PACKAGE_DIR) -> str:
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def parse_imports(source: str, module: str, is_package: bool, known_modules: set[str],
                  path: str = "") -> list[Imp]:
    """Every rlth import of ``source`` (the text of ``module``), relative ones made absolute.

    ``from pkg import x`` where ``pkg.x`` is a module of ``known_modules`` counts as an import of
    the module ``pkg.x``; otherwise of ``pkg`` with name ``x``.
    """
    tree = ast.parse(source)
    out: list[Imp] = []

    def visit(node, in_function: bool):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                      ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name == "rlth" or alias.name.startswith("rlth."):
                        out.append(Imp(module, alias.name, "", child.lineno, not in_function, path))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = module.split(".") if is_package else module.split(".")[:-1]
                    if child.level - 1 > len(base) - 1:
                        raise ValueError(f"{module}: relative import beyond the top package")
                    base = base[:len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target == "rlth" or target.startswith("rlth."):
                    for alias in child.names:
                        sub = f"{target}.{alias.name}"
                        if sub in known_modules:
                            out.append(Imp(module, sub, "", child.lineno, not in_function, path))
                        else:
                            out.append(Imp(module, target, alias.name, child.lineno,
                                           not in_function, path))
            visit(child, inner)

    visit(tree, False)
    return out


def package_modules(package_dir: Path = PACKAGE_DIR) -> dict[str, Path]:
    return {module_name(p, package_dir): p for p in sorted(package_dir.rglob("*.py"))}


def scan_package(package_dir: Path = PACKAGE_DIR) -> list[Imp]:
    mods = package_modules(package_dir)
    known = set(mods)
    # namespace packages (directories without __init__.py, e.g. rlth/_kernels) are modules too
    known |= {m.rsplit(".", i)[0] for m in mods for i in range(1, m.count(".") + 1)}
    root = package_dir.parent
    imports = []
    for mod, path in mods.items():
        imports += parse_imports(path.read_text(encoding="utf-8"), mod, path.name == "__init__.py",
                                 known, str(path.relative_to(root)))
    return imports


# ----------------------------------------------------------------------------------------------
# checks


def room_of(module: str) -> str:
    """``rlth`` -> ``rlth``; ``rlth.models.mdp`` -> ``models``; ``rlth.sweep`` -> ``sweep``."""
    parts = module.split(".")
    if parts[0] != "rlth":
        raise ValueError(f"not an rlth module: {module!r}")
    return parts[1] if len(parts) > 1 else "rlth"


def directory_of(module: str, is_package: bool) -> str:
    """The package (directory) a module lives in."""
    return module if is_package else module.rsplit(".", 1)[0]


def room_violations(imports, allowed=ALLOWED, exceptions=EXCEPTIONS) -> list[str]:
    """Messages for imports between rooms that the table does not allow."""
    out = []
    excepted = {(e.src, e.dst): e for e in exceptions}
    for imp in imports:
        src, dst = room_of(imp.src), room_of(imp.target)
        if src == dst:
            continue
        if src not in allowed:
            out.append(f"{imp.where()}: module in unknown room {src!r}; add the room to ALLOWED "
                       f"and RANK in tests/harness/test_import_rules.py and to the table of "
                       f"docs/contributing/family_contract.md")
            continue
        if dst not in allowed:
            out.append(f"{imp.where()}: imports unknown room {dst!r}")
            continue
        if dst in allowed[src]:
            continue
        exc = excepted.get((src, dst))
        if exc is not None and (imp.toplevel is False or not exc.lazy_only):
            continue
        rule = (f"room {src!r} may import only {sorted(allowed[src])}" if allowed[src]
                else f"room {src!r} imports nothing of rlth")
        if exc is not None:
            rule += f"; the exception {src} -> {dst} holds only for imports inside a function"
        elif RANK.get(dst, -1) >= RANK.get(src, -1):
            rule += f" (upward edge: {dst} is not below {src})"
        out.append(f"{imp.where()}: {src} -> {dst} is not allowed: {rule}")
    return out


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle ``[a, b, ..., a]`` of the directed graph, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {n: WHITE for n in set(edges) | {m for ms in edges.values() for m in ms}}
    stack: list[str] = []

    def dfs(n):
        color[n] = GREY
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if color[m] == GREY:
                return stack[stack.index(m):] + [m]
            if color[m] == WHITE:
                found = dfs(m)
                if found:
                    return found
        stack.pop()
        color[n] = BLACK
        return None

    for n in sorted(color):
        if color[n] == WHITE:
            found = dfs(n)
            if found:
                return found
    return None


def room_graph(imports, exceptions=EXCEPTIONS) -> dict[str, set[str]]:
    """Room -> rooms it imports, without self-loops and without the lazy excepted edges."""
    lazy_ok = {(e.src, e.dst) for e in exceptions if e.lazy_only}
    graph: dict[str, set[str]] = {}
    for imp in imports:
        src, dst = room_of(imp.src), room_of(imp.target)
        if src != dst and not ((src, dst) in lazy_ok and not imp.toplevel):
            graph.setdefault(src, set()).add(dst)
    return graph


def _is_private(component: str) -> bool:
    return component.startswith("_") and not (component.startswith("__")
                                              and component.endswith("__"))


def private_violations(imports, packages: set[str]) -> list[str]:
    """Messages for imports of a private name owned by another directory.

    ``packages`` is the set of modules that are packages (directories).  The first private
    component ``_x`` of the imported path (``rlth.a._x``, ``rlth.a.mod._x``) is owned by the
    directory that holds it (``rlth/a/``); the importer must live in that same directory, unless
    the path starts with a :data:`SHARED_PRIVATE` room.
    """
    out = []
    for imp in imports:
        full = imp.full
        if any(full == s or full.startswith(s + ".") for s in SHARED_PRIVATE):
            continue
        here = directory_of(imp.src, imp.src in packages)
        parts = full.split(".")
        for i, comp in enumerate(parts[1:], start=1):
            if _is_private(comp):
                holder = ".".join(parts[:i])         # the package or module holding ``comp``
                owner = holder if holder in packages else holder.rsplit(".", 1)[0]
                if owner != here:
                    out.append(f"{imp.where()}: imports private name {comp!r} of {holder} "
                               f"(directory {owner.replace('.', '/')}/) from another directory "
                               f"({here.replace('.', '/')}/): make it public in a shared room "
                               f"(estimators/, _kernels/, or the setting's own _kernels.py)")
                break
    return out


# ----------------------------------------------------------------------------------------------
# the package


@pytest.fixture(scope="module")
def imports():
    found = scan_package()
    assert found, f"no rlth imports found under {PACKAGE_DIR}"
    return found


def test_every_module_is_in_a_known_room():
    unknown = sorted({m for m in package_modules() if room_of(m) not in ALLOWED})
    assert not unknown, ("modules in a room the import table does not know (add the room to "
                         "ALLOWED and RANK here and to docs/contributing/family_contract.md): "
                         + ", ".join(unknown))


def test_imports_follow_the_room_table(imports):
    bad = room_violations(imports)
    assert not bad, "imports that break the room table:\n  " + "\n  ".join(bad)


def test_no_private_name_crosses_a_directory(imports):
    packages = {module_name(p.parent / "__init__.py") for p in PACKAGE_DIR.rglob("*.py")}
    bad = private_violations(imports, packages)
    assert not bad, "private names imported across directories:\n  " + "\n  ".join(bad)


def test_room_graph_has_no_cycle(imports):
    cycle = find_cycle(room_graph(imports))
    assert cycle is None, "import cycle between rooms: " + " -> ".join(cycle)


def test_table_points_strictly_downwards():
    assert set(ALLOWED) == set(RANK)
    bad = [f"{a} (rank {RANK[a]}) -> {b} (rank {RANK.get(b)})"
           for a, bs in ALLOWED.items() for b in bs if b not in RANK or RANK[b] >= RANK[a]]
    assert not bad, "ALLOWED has edges that do not go down: " + "; ".join(bad)
    assert find_cycle(ALLOWED) is None


def test_table_encodes_the_design_rules():
    higher = {"sweep", "rates", "plotting", "cli"}
    assert not ALLOWED["algorithms"] & (higher | {"theory", "instances", "testing"})
    assert ALLOWED["models"] <= LAYER1
    assert ALLOWED["instances"] <= LAYER1 | {"models"}
    assert ALLOWED["estimators"] <= LAYER1 | {"_kernels", "models"}
    assert "algorithms" not in ALLOWED["theory"]
    # adapters face the outside world: exact models and solvers only, nothing of the pipeline
    assert not ALLOWED["adapters"] & (higher | {"theory", "algorithms", "testing", "rlth"})
    assert not any("adapters" in rooms for rooms in ALLOWED.values())
    for room in ("_rng", "_validation", "experiment", "store"):
        assert not ALLOWED[room], f"{room} is layer 1: it imports nothing of rlth"
    for room, rooms in ALLOWED.items():          # nothing in rlth builds on the test helpers
        assert "testing" not in rooms, room
    for exc in EXCEPTIONS:
        assert exc.dst not in ALLOWED[exc.src], f"exception {exc} is already allowed"
        assert exc.reason


def _markdown_table(text: str, header: str) -> list[list[str]]:
    """Rows (cells stripped) of the first markdown table whose header row starts with ``header``."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(header):
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                rows.append([c.strip() for c in row.strip().strip("|").split("|")])
            return rows
    return []


def test_contract_page_states_the_same_table():
    page = (PACKAGE_DIR.parent / "docs" / "contributing" / "family_contract.md").read_text(
        encoding="utf-8")
    rows = _markdown_table(page, "| room | may import |")
    assert rows, "docs/contributing/family_contract.md has no '| room | may import |' table"
    documented = {}
    for room, rooms in rows:
        names = set() if rooms == "nothing" else {r.strip(" `") for r in rooms.split(",")}
        documented[room.strip("`")] = names
    assert documented == ALLOWED, (
        "the import table of docs/contributing/family_contract.md differs from ALLOWED: "
        + "; ".join(f"{r}: page {sorted(documented.get(r, ()))}, "
                    f"test {sorted(ALLOWED.get(r, ()))}"
                    for r in sorted(set(documented) | set(ALLOWED))
                    if documented.get(r) != ALLOWED.get(r)))
    exc_rows = _markdown_table(page, "| import | reason |")
    documented_exc = {tuple(x.strip(" `") for x in imp.split("->")) for imp, _ in exc_rows}
    assert documented_exc == {(e.src, e.dst) for e in EXCEPTIONS}


# ----------------------------------------------------------------------------------------------
# the checker itself, on synthetic modules


KNOWN = {"rlth", "rlth.models", "rlth.models.mdp", "rlth.models.bandits", "rlth.solvers",
         "rlth.solvers.dp", "rlth.solvers._backward", "rlth.algorithms", "rlth.algorithms.offline",
         "rlth.algorithms.offline.lcb", "rlth.algorithms.offline.baselines",
         "rlth.algorithms.online", "rlth.algorithms.online.x", "rlth.algorithms.online._kernels",
         "rlth.theory", "rlth.cli", "rlth.experiment", "rlth._kernels", "rlth._kernels.dp"}
PACKAGES = {"rlth", "rlth.models", "rlth.solvers", "rlth.algorithms", "rlth.algorithms.offline",
            "rlth.algorithms.online", "rlth.theory"}


def test_parser_resolves_relative_and_nested_imports():
    src = (
        "import numpy as np\n"
        "from . import _kernels\n"
        "from ..offline.lcb import _argmax_rows, LCB\n"
        "import rlth.solvers.dp as dp\n"
        "def f():\n"
        "    from ...solvers import _backward\n"
        "    from rlth import theory\n"
        "class C:\n"
        "    def m(self):\n"
        "        from rlth.cli import main\n"
        "if True:\n"
        "    from rlth.models import mdp\n"
    )
    got = {(i.full, i.toplevel) for i in parse_imports(src, "rlth.algorithms.online.x", False,
                                                        KNOWN)}
    assert got == {
        ("rlth.algorithms.online._kernels", True),
        ("rlth.algorithms.offline.lcb._argmax_rows", True),
        ("rlth.algorithms.offline.lcb.LCB", True),
        ("rlth.solvers.dp", True),
        ("rlth.solvers._backward", False),
        ("rlth.theory", False),
        ("rlth.cli.main", False),
        ("rlth.models.mdp", True),
    }
    # in a package's __init__, "." is the package itself
    got = parse_imports("from .dp import solve\nfrom . import dp\n", "rlth.solvers", True, KNOWN)
    assert {i.full for i in got} == {"rlth.solvers.dp.solve", "rlth.solvers.dp"}


def _imp(src, target, name="", toplevel=True):
    return Imp(src, target, name, 1, toplevel, src.replace(".", "/") + ".py")


def test_checker_reports_an_upward_edge():
    imports = [_imp("rlth.models.mdp", "rlth.algorithms.offline.lcb", "LCB"),
               _imp("rlth.models.mdp", "rlth._validation", "as_float_array")]
    bad = room_violations(imports)
    assert len(bad) == 1
    assert "rlth.models.mdp" in bad[0] and "models -> algorithms" in bad[0]
    assert "upward edge" in bad[0] and "from rlth.algorithms.offline.lcb import LCB" in bad[0]


def test_checker_reports_forbidden_sideways_edges():
    bad = room_violations([_imp("rlth.algorithms.offline.lcb", "rlth.theory.lcb"),
                           _imp("rlth.algorithms.online.x", "rlth.sweep", "run_experiment"),
                           _imp("rlth.instances.classic", "rlth.solvers.dp"),
                           _imp("rlth.estimators.linear", "rlth.data.offline")])
    assert len(bad) == 4, bad
    for msg, edge in zip(bad, ["algorithms -> theory", "algorithms -> sweep",
                               "instances -> solvers", "estimators -> data"]):
        assert f"{edge} is not allowed" in msg, msg


def test_checker_allows_an_exception_only_lazily():
    lazy = _imp("rlth.experiment", "rlth.cli", "main_for", toplevel=False)
    eager = _imp("rlth.experiment", "rlth.cli", "main_for", toplevel=True)
    assert room_violations([lazy]) == []
    bad = room_violations([eager])
    assert len(bad) == 1 and "only for imports inside a function" in bad[0]


def test_checker_reports_a_cycle():
    graph = room_graph([_imp("rlth.solvers.dp", "rlth.data.offline"),
                        _imp("rlth.data.offline", "rlth.models.mdp"),
                        _imp("rlth.models.mdp", "rlth.solvers.dp")])
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1]
    assert set(cycle) == {"solvers", "data", "models"}
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None
    # a lazy excepted edge does not close a cycle; an eager one does
    assert find_cycle(room_graph([_imp("rlth.cli", "rlth.experiment"),
                                  _imp("rlth.experiment", "rlth.cli", toplevel=False)])) is None
    assert find_cycle(room_graph([_imp("rlth.cli", "rlth.experiment"),
                                  _imp("rlth.experiment", "rlth.cli")])) is not None


def test_checker_reports_private_names_across_directories():
    imports = [
        # same directory: allowed
        _imp("rlth.algorithms.offline.baselines", "rlth.algorithms.offline.lcb", "_argmax_rows"),
        _imp("rlth.models.bandits", "rlth.models.mdp", "_readonly"),
        _imp("rlth.algorithms.online.x", "rlth.algorithms.online._kernels"),
        _imp("rlth.solvers", "rlth.solvers._backward"),          # a package's own __init__
        # shared private rooms: allowed
        _imp("rlth.solvers.dp", "rlth._kernels.dp"),
        _imp("rlth.models.mdp", "rlth._validation", "check_gamma"),
        # dunder names are not private
        _imp("rlth.store", "rlth", "__version__"),
        # other directories: forbidden
        _imp("rlth.algorithms.online.x", "rlth.solvers.dp", "_anything"),
        _imp("rlth.algorithms.online.x", "rlth.solvers._backward"),
        _imp("rlth.algorithms.preference.y", "rlth.algorithms.online._kernels"),
        _imp("rlth.algorithms.offline.z", "rlth.algorithms._shared", "f"),
    ]
    bad = private_violations(imports, PACKAGES)
    assert len(bad) == 4, bad
    assert "'_anything'" in bad[0] and "rlth.algorithms.online.x" in bad[0]
    assert "'_backward'" in bad[1]
    assert "'_kernels'" in bad[2] and "rlth.algorithms.preference.y" in bad[2]
    assert "'_shared'" in bad[3] and "rlth/algorithms/offline/" in bad[3]
