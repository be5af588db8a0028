"""The shape of the code: no blueprint imports another (shared route helpers live in plain modules), and
no module or view grows past the sizes a reader takes in at once."""
import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
ROUTES = APP / "routes"
MODULE_MAX_LINES = 400
VIEW_MAX_LINES = 25


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


def test_no_module_over_400_lines():
    long = {str(p.relative_to(APP)): n for p in APP.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MODULE_MAX_LINES}
    assert not long


def test_no_view_over_25_lines():
    """Every function in app/routes/, views and their helpers alike, fits in 25 lines."""
    long = {f"{path.relative_to(APP)}:{node.lineno} {node.name}": node.end_lineno - node.lineno + 1
            for path in ROUTES.rglob("*.py")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > VIEW_MAX_LINES}
    assert len(list(ROUTES.glob("*.py"))) >= 18 and not long
