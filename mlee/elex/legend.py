"""The scatter plot's legend as HTML below the plot (never over it): each shown environment with its
marker symbol, the pinned-model ring, the A-E colours, and one sentence on what a colour means."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlee.extras import require

require("elex", "dash")
from dash import html

from mlee.elex.figures import NEW_RING_COLOUR, ZONE_RULE, short_environment, symbol_of
from mlee.metrics import RATING_COLOURS, RATING_LETTERS

#: plotly marker symbol -> the character that looks like it
SYMBOL_GLYPHS = {"circle": "●", "square": "■", "diamond": "◆", "triangle-up": "▲", "pentagon": "⬟", "star": "★",
                 "hexagon": "⬢", "triangle-down": "▼", "cross": "✚", "x": "✖"}


def scatter_legend(shown: Sequence[str], environments: Sequence[str], mode: str, new: int = 0) -> list[Any]:
    """Legend rows for the ``shown`` environments (symbols fixed by their place in ``environments``),
    the pinned ring, the ring of the ``new`` points merged while ELEx runs (when there are any) and the colour
    rule of the rating ``mode``."""
    envs = [html.Span([html.Span(SYMBOL_GLYPHS.get(symbol_of(env, environments), "●"), className="legend-symbol"),
                       short_environment(env)], className="legend-item", title=env) for env in shown]
    envs.append(html.Span([html.Span("◯", className="legend-symbol"), "pinned model"], className="legend-item"))
    if new:
        envs.append(html.Span([html.Span("◯", className="legend-symbol", style={"color": NEW_RING_COLOUR}),
                               f"new since ELEx started ({new})"], className="legend-item", id="legend-new"))
    ratings = [html.Span(letter, className=f"rating-badge small rating-{r}", style={"backgroundColor": RATING_COLOURS[r]})
               for r, letter in enumerate(RATING_LETTERS)]
    return [html.Div(envs, className="legend-row", id="legend-environments"),
            html.Div([html.Span(ratings, className="legend-ratings"),
                      html.Span(ZONE_RULE.format(mode=mode), id="zone-rule")], className="legend-row")]
