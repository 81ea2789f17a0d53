"""PNG labels: the vector label rasterised by poppler's ``pdftoppm`` (the label itself is drawn as PDF/SVG).

``pdftoppm`` comes with poppler-utils (Debian/Ubuntu: ``apt-get install poppler-utils``); without it a PNG is
refused with that fix, never replaced by a PDF under a ``.png`` name.
"""

from __future__ import annotations

import shutil
import subprocess

from mlee.errors import MleeError

#: resolution of PNG labels, dots per inch (A6 at 200 dpi: 827 x 1165 pixels)
PNG_DPI = 200


class RasteriseError(MleeError, RuntimeError):
    """A PNG could not be made; the message says why and how to fix it."""


def pdf_to_png(pdf: bytes, dpi: int = PNG_DPI) -> bytes:
    """The first page of ``pdf`` as PNG bytes at ``dpi`` dots per inch."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise RasteriseError("PNG labels need pdftoppm from poppler-utils (Debian/Ubuntu: sudo apt-get install "
                             "poppler-utils); or write the vector label with a .pdf or .svg --output")
    done = subprocess.run([tool, "-png", "-r", str(dpi), "-singlefile", "-"], input=pdf, capture_output=True,
                          timeout=120, check=False)
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        raise RasteriseError(f"pdftoppm could not rasterise the label (exit {done.returncode}: "
                             f"{done.stderr.decode(errors='replace').strip()})")
    return done.stdout
