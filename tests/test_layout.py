"""The rules of the code's shape that DESIGN.md states, checked on the source itself."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("annotation", "api", "catalogue", "config", "core", "crowd", "dashboard")
PRODUCT += ("models_zoo", "pipeline", "review")
MAX_LINES = 450


def modules(*packages: str) -> list[Path]:
    return sorted(
        path
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_product_module_imports_the_simulator():
    offenders = [
        str(path.relative_to(ROOT))
        for path in modules(*PRODUCT)
        if any(name.split(".")[0] == "simulation" for name in imported(path))
    ]
    assert offenders == []


def test_stage_rules_are_pure():
    """Plain data in, plain data out: no Django, no Celery in a stage's rule."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in imported(path) if name.split(".")[0] in ("django", "celery")
        )
        for path in modules("pipeline/rules")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_no_product_module_is_over_the_size_limit():
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in modules(*PRODUCT)
    }
    assert {path: n for path, n in sizes.items() if n > MAX_LINES} == {}
