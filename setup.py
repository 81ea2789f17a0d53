"""Build hook: the wheel carries the repository's ``shipped/`` folder as package data ``mlee/shipped/``.

Everything else about the package is declared in pyproject.toml. The checkout keeps ``shipped/`` at its root;
:mod:`mlee.layout` reads it there in a checkout (and an editable install) and from ``mlee/shipped/`` when
installed from a wheel.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ROOT / "shipped"


class BuildWithShipped(build_py):
    """``build_py`` that also copies ``shipped/`` to ``<build>/mlee/shipped/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False) or not SHIPPED.is_dir():
            return
        target = Path(self.build_lib) / "mlee" / "shipped"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(SHIPPED, target, ignore=shutil.ignore_patterns(".*", "__pycache__"))


setup(cmdclass={"build_py": BuildWithShipped})
