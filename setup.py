"""Build hook: the wheel carries the message catalogs compiled, so an installed app serves Chinese
even where nobody ran `pybabel compile` (the .mo files are built, never committed)."""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogs(build_py):
    """build_py, then every app/translations/*/LC_MESSAGES/messages.po compiled beside its copy."""

    def run(self):
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(Path("app/translations").glob("*/LC_MESSAGES/messages.po")):
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parts[-3])
            target = Path(self.build_lib) / po.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as compiled:
                write_mo(compiled, catalog)  # fuzzy entries left out, as `pybabel compile` does


setup(cmdclass={"build_py": BuildPyWithCatalogs})
