"""An installed wheel is a whole app: templates, static files and compiled catalogs, so a deployment
that never ran `pybabel compile` still serves Chinese."""
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A source tree as a fresh clone has it: no compiled catalogs (.mo files are never committed).
NOT_SOURCE = shutil.ignore_patterns("*.mo", ".git", ".venv", "instance", "build", "tests", "*.egg-info",
                                    "__pycache__", ".pytest_cache", "node_modules")
SERVE = """
import sys
import app
from app import create_app
assert app.__file__.startswith(sys.argv[1]), app.__file__
page = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}).test_client().get("/login")
assert page.status_code == 200, page.status_code
print(page.get_data(as_text=True))
"""


@pytest.mark.slow
def test_the_wheel_carries_compiled_catalogs_and_an_app_from_it_serves_chinese(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    assert not list(source.rglob("*.mo"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-w", str(tmp_path / "dist")],
                   cwd=source, check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("hongxin-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"app/translations/{lang}/LC_MESSAGES/messages.mo" for lang in ("zh", "en")} <= names
    assert {"app/templates/base.html", "app/static/css/app.css", "app/common_passwords.txt"} <= names

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("HONGXIN_DEV", None)
    served = subprocess.run([sys.executable, "-c", SERVE, str(site)], cwd=tmp_path, env=env, capture_output=True,
                            text=True)
    assert served.returncode == 0, served.stderr
    assert "手机号" in served.stdout and "密码" in served.stdout
