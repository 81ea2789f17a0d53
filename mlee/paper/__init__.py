"""The publication's tables and figures from any results folder (``python create_paper_results.py``).

Modules, one job each:

- :mod:`mlee.paper.selection`: which rows are shown (environment, datasets by size, best model).
- :mod:`mlee.paper.latex` and :mod:`mlee.paper.tables`: the LaTeX tables.
- :mod:`mlee.paper.figures`: matplotlib figures (rating-zone scatter, rating distributions).
- :mod:`mlee.paper.generate`: writes every output; its docstring lists the files, what ``NN`` in
  ``distrib NN.pdf`` means (dataset position in the size order, 00 = largest) and ``model distrib <Method>.pdf``
  (one method across the datasets, named by the method).
- :mod:`mlee.cli.paper`: the command line.
"""

from .generate import PaperOptions, PaperResult, generate

__all__ = ["PaperOptions", "PaperResult", "generate"]
