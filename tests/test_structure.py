"""The shape of the code: no blueprint imports another (shared route helpers live in plain modules)."""
import ast
from pathlib import Path

ROUTES = Path(__file__).resolve().parents[1] / "app" / "routes"


def _blueprint_modules() -> set[str]:
    return {p.stem for p in ROUTES.glob("*.py") if "Blueprint(" in p.read_text(encoding="utf-8")}


def _sibling_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module} if node.module else {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("app.routes."):
            found.add(node.module.rsplit(".", 1)[1])
    return found


def test_no_blueprint_imports_another():
    blueprints = _blueprint_modules()
    assert len(blueprints) >= 18
    crossing = {f"{name} imports {other}" for name in blueprints
                for other in _sibling_imports(ROUTES / f"{name}.py") & blueprints if other != name}
    assert not crossing
