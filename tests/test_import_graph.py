"""The package's module-level imports form no circle (a circle breaks as soon as one side imports the other's
names at the top)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mlee"


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_imports() -> dict[str, set[str]]:
    """Module -> mlee modules it imports at module level (function-level imports are lazy and left out)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                targets.add(base)
                targets.update(f"{base}.{a.name}" for a in node.names)
        graph[name] = {t for t in targets if t in modules and t != name and not name.startswith(t + ".")}
    return graph


def reachable(graph: dict[str, set[str]], start: str, skip: set[str]) -> set[str]:
    """Modules ``start`` imports directly or indirectly, not passing through ``skip``."""
    seen: set[str] = set()
    todo = [m for m in graph[start] if m not in skip]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(m for m in graph[node] if m not in skip)
    return seen


def test_no_import_circle_between_modules() -> None:
    graph = module_imports()
    # a package's __init__ re-exporting its modules is no circle: leave packages out of the paths
    packages = {m for m in graph if (PACKAGE.parent / m.replace(".", "/") / "__init__.py").exists()}
    circles = sorted(m for m in graph if m not in packages and m in reachable(graph, m, packages))
    assert not circles, f"modules in an import circle: {circles}"
    assert "mlee.cli.monitor_options" not in graph["mlee.monitoring.meter"]
