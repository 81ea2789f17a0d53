"""The file formats a label is rendered to (vector drawings; the label CLI adds PNG, rasterised from the PDF)."""

FORMATS: tuple[str, ...] = ("pdf", "svg")
