"""Paper tables, selection and figure files on small hand-built tables (no rating engine needed)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pypdf
import pytest

from mlee.catalog import datasets as catalog_datasets
from mlee.metrics import RATING_COLOURS, RATING_LETTERS
from mlee.paper import figures
from mlee.paper.latex import ESTIMATE_MARKER, colorbox, colour_definitions, escape_latex
from mlee.paper.selection import best_model, best_models, datasets_by_size, default_environment
from mlee.paper.tables import BEST_MODEL_COLUMNS, best_model_cells, best_models_tex, table_number, weights_tex
from mlee.units import format_number


def _row(dataset, model, compound, energy_index, **extra):
    row = {"dataset": dataset, "dataset_display": dataset.title(), "task": "inference", "environment": "env",
           "model": model, "model_short": model[:3], "compound_rating": compound,
           "power_draw": 2.5, "power_draw_index": energy_index, "power_draw_rating": 1,
           "f1_val": 0.8123456, "f1_val_index": 1.01, "f1_val_rating": 2,
           "time": 0.0123456, "time_index": 0.5, "time_rating": 3,
           "parameters": 123456.0, "parameters_index": 2.0, "parameters_rating": 0,
           "energy_estimated": False, "energy_sources": "CPU package-0 + DRAM (RAPL via pyRAPL)",
           "n_test_samples": 10, "files": []}
    row.update(extra)
    return row


def test_escape_latex_escapes_every_special_character():
    assert escape_latex("a&b%c$d#e_f{g}h~i^j\\k") == (
        r"a\&b\%c\$d\#e\_f\{g\}h\textasciitilde{}i\textasciicircum{}j\textbackslash{}k")
    assert escape_latex("Blood Transf. SC") == "Blood Transf. SC"


def test_colour_definitions_match_rating_colours():
    text = colour_definitions()
    for letter, colour in zip(RATING_LETTERS, RATING_COLOURS):
        assert rf"\definecolor{{R{letter}}}{{HTML}}{{{colour[1:].upper()}}}" in text
    assert colorbox(2, "x") == r"\colorbox{RC}{x}"
    assert colorbox(float("nan"), "n.a.") == r"\colorbox{white}{n.a.}"


def test_best_model_is_best_compound_then_highest_energy_index():
    rows = pd.DataFrame([_row("d", "m1", 1, 5.0), _row("d", "m2", 0, 0.5), _row("d", "m3", 0, 0.9),
                         _row("d", "m4", math.nan, 9.0)])
    assert best_model(rows)["model"] == "m3"
    rows = pd.DataFrame([_row("d", "m1", math.nan, 1.0)])
    assert best_model(rows) is None


def test_datasets_ordered_by_recorded_size_then_catalog(tmp_path):
    # "small" records 5 + 5 rows in its result file; "covtype" has no file: the catalog's rows are used.
    result = tmp_path / "infer_x.json"
    result.write_text(json.dumps({"validation": {"results": {"data": {"shape": {"train": [5, 2], "test": [5, 2]}}}}}))
    big = tmp_path / "infer_y.json"
    big.write_text(json.dumps({"validation": {"results": {"data": {"shape": {"train": [900, 2], "test": [100, 2]}}}}}))
    rows = pd.DataFrame([_row("small", "m", 0, 1.0, files=[str(result)]),
                         _row("covtype", "m", 0, 1.0, files=[]),
                         _row("medium", "m", 0, 1.0, files=[str(big)])])
    assert catalog_datasets()["covtype"]["rows"] > 1000
    assert datasets_by_size(rows) == ["covtype", "medium", "small"]
    table = best_models(rows, "env")
    assert list(table["dataset"]) == ["covtype", "medium", "small"]
    assert list(table["dataset_size"]) == [catalog_datasets()["covtype"]["rows"], 1000, 10]


def test_unknown_environment_names_the_known_ones():
    rows = pd.DataFrame([_row("d", "m", 0, 1.0)])
    with pytest.raises(ValueError, match="--environment with one of: env"):
        best_models(rows, "other")
    with pytest.raises(ValueError, match="merge_results"):
        default_environment(pd.DataFrame())
    runs = pd.DataFrame({"environment": ["b", "a", "b", "a", "c"]})
    assert default_environment(runs) == "a"  # tie between a and b: alphabetical
    assert default_environment(runs.iloc[:3]) == "b"


def test_best_model_table_cells_and_estimate_footnote():
    rows = pd.DataFrame([_row("a_b", "k&NN", 0, 1.0), _row("c", "SVM", 2, 1.0, energy_estimated=True,
                                                          energy_sources="CPU (estimated from TDP)")])
    text = best_models_tex(rows, {"environment": "env"})
    assert text.count(r"\\") >= 4 and r"\begin{tabular}" in text and r"\end{tabular}" in text
    assert "% environment: env" in text
    cells = best_model_cells(rows.iloc[0])
    assert cells[0] == r"A\_B" and cells[1] == r"\colorbox{RA}{A} k\&N"
    for i, column in enumerate(BEST_MODEL_COLUMNS):
        value = rows.iloc[0][column.key] * column.scale
        assert cells[2 + 2 * i] == table_number(value, column.unit)
        rating = RATING_LETTERS[int(rows.iloc[0][f"{column.key}_rating"])]
        assert cells[3 + 2 * i] == rf"\colorbox{{R{rating}}}{{{rows.iloc[0][column.key + '_index']:.2f}}}"
    # only the estimated energy carries the marker, and the footnote explains it
    assert ESTIMATE_MARKER not in best_model_cells(rows.iloc[0])[2]
    assert best_model_cells(rows.iloc[1])[2].endswith(ESTIMATE_MARKER)
    assert "estimated energy" in text and "CPU (estimated from TDP)" in text
    assert "estimated energy" not in best_models_tex(rows.iloc[:1])


def test_weights_table_groups_inference_metrics_with_positive_weight():
    weights = {"general parameters": 0.4, "general f1_val": 0.5, "general precision_val": 0,
               "inference power_draw": 0.6, "training power_draw": 0.9, "inference time": 0.25}
    text = weights_tex(weights)
    assert text.index("Complexity") < text.index("Quality") < text.index("Resources")
    assert "Precision" not in text and "Training" not in text
    assert r"\multirow{2}{*}{Resources} & Inference energy & 0.6 \\" in text
    assert "Inference running time & 0.25" in text and "F1 score & 0.5" in text


def test_figures_are_reproducible_pdfs_with_text(tmp_path):
    def compound(ratings, weights):
        return round(sum(r * w for r, w in zip(ratings, weights)) / sum(weights))

    def draw(name):
        fig = figures.scatter_index_figure([0.5, 2.0], [1.0, 0.9], ["kNN", "SVM"], [1.7, 1.0, 0.6, 0.3],
                                           [1.2, 1.1, 1.0, 0.9], 0.6, 0.5, compound, "Title X",
                                           "Inference energy index", "F1 score index")
        return figures.save_figure(fig, tmp_path / name, png=True)

    first, second = draw("a.pdf"), draw("b.pdf")
    assert [p.suffix for p in first] == [".pdf", ".png"]
    assert first[0].read_bytes() == second[0].read_bytes()
    text = pypdf.PdfReader(first[0]).pages[0].extract_text()
    for expected in ("Title X", "Inference energy index", "F1 score index", "kNN", "SVM"):
        assert expected in text
    assert first[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bars = figures.save_figure(figures.rating_distribution_figure([0, 0, 4, None], "Dataset Y", "Methods"),
                               tmp_path / "d.pdf")[0]
    text = pypdf.PdfReader(bars).pages[0].extract_text()
    assert "Dataset Y" in text and "Methods" in text and all(letter in text for letter in RATING_LETTERS)


def test_figure_text_outside_the_compact_font_falls_back_to_full_font(tmp_path):
    path = figures.save_figure(figures.rating_distribution_figure([1], "Größe Ω µs", "Methods"),
                               tmp_path / "f.pdf")[0]
    reader = pypdf.PdfReader(path)
    assert "Größe Ω µs" in reader.pages[0].extract_text()
    fonts = [reader.get_object(f)["/BaseFont"] for f in reader.pages[0]["/Resources"]["/Font"].values()]
    assert all(font.split("+")[-1] in ("mleeSans", "DejaVuSans") for font in fonts)
