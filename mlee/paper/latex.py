"""LaTeX building blocks for the paper tables: escaping, rating colours, coloured boxes.

The tables use ``\\colorbox{RA}{...}`` .. ``\\colorbox{RE}{...}``; :func:`colour_definitions` writes the
matching ``\\definecolor`` lines (package ``xcolor``) from :data:`mlee.metrics.RATING_COLOURS`, so the
colours of the tables are those of the labels and the explorer.
"""

from __future__ import annotations

from mlee.metrics import RATING_COLOURS, RATING_LETTERS, rating_letter

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}

#: Marker put after an estimated energy value; explained in the table's footnote line.
ESTIMATE_MARKER = r"$^\dagger$"
#: Marker put after an energy whose counters were not read cleanly (or read 0 J: not measurable).
INCOMPLETE_MARKER = r"$^\ddagger$"
#: Marker put after a borderline letter (less likely than mlee.rating.stability.BORDERLINE to be the one shown).
BORDERLINE_MARKER = "?"
#: Marker put after a backend that handed the method to stock scikit-learn.
FALLBACK_MARKER = r"$^\S$"


def escape_latex(text: str) -> str:
    """``text`` with LaTeX's special characters (``\\ & % $ # _ { } ~ ^``) escaped for use in a tabular."""
    return "".join(_SPECIAL.get(char, char) for char in str(text))


def colour_name(rating: int | float | None) -> str:
    """Name of the LaTeX colour of a rating: ``0 -> "RA"`` ... ``4 -> "RE"``; ``"white"`` when unrated."""
    letter = rating_letter(rating)
    return f"R{letter}" if letter in RATING_LETTERS else "white"


def colorbox(rating: int | float | None, text: str) -> str:
    """``\\colorbox{R<letter>}{text}`` for a rating 0..4 (text is inserted as is: escape it first)."""
    return rf"\colorbox{{{colour_name(rating)}}}{{{text}}}"


def colour_definitions() -> str:
    """``\\definecolor{RA}{HTML}{009640}`` ... one line per rating letter (needs ``\\usepackage{xcolor}``)."""
    lines = []
    for letter, colour in zip(RATING_LETTERS, RATING_COLOURS):
        lines.append(rf"\definecolor{{R{letter}}}{{HTML}}{{{colour.lstrip('#').upper()}}}")
    return "\n".join(lines)
