"""The package's layers: no import cycle among its modules, counting imports inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import collabsim

SRC = Path(collabsim.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = ["collabsim", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> nx.DiGraph:
    """Every import between collabsim's modules that runs (top-level and inside functions)."""
    files = {_module_name(p): p for p in SRC.rglob("*.py")}
    modules = {name for name, p in files.items() if p.name != "__init__.py"}
    lazy = collabsim._LAZY  # the package's names loaded on first use: name -> module
    g = nx.DiGraph()
    g.add_nodes_from(files)
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text())
        typing_only = {  # imports under "if TYPE_CHECKING:" never run
            id(sub)
            for node in ast.walk(tree)
            if isinstance(node, ast.If)
            and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
            for stmt in node.body
            for sub in ast.walk(stmt)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                # "from a import b" imports module a.b when b is a module, else a
                targets = [
                    f"{base}.{a.name}"
                    if f"{base}.{a.name}" in files
                    else lazy.get(a.name, base)
                    if base == "collabsim"
                    else base
                    for a in node.names
                ]
            elif isinstance(node, ast.Constant) and node.value in modules and name != "collabsim":
                # a module named in a string (importlib.import_module, command tables); names
                # of packages are left out (resources.files("collabsim") reads data), and the
                # package's own table of lazy names is resolved where a name is imported
                targets = [node.value]
            for t in targets:
                if t in files and t != name:
                    g.add_edge(name, t)
    return g


def test_the_graph_sees_known_imports():
    g = import_graph()
    assert g.has_edge("collabsim.model", "collabsim.state")
    assert g.has_edge("collabsim.mechanisms.dialogue", "collabsim.state")


def test_no_import_cycle_even_through_lazy_imports():
    cycles = list(nx.simple_cycles(import_graph()))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_lowest_layers_reach_only_each_other():
    """Parameters, state and the submodels never import the model, outcomes or anything above."""
    g = import_graph()
    low = {"collabsim.params", "collabsim.state"} | {
        n for n in g if n.startswith("collabsim.mechanisms")
    }
    for name in low:
        above = nx.descendants(g, name) - low
        assert not above, f"{name} reaches {sorted(above)}"
