"""The paper's tables say how sure their numbers are and what they are: intervals, borderline letters, estimated
energies, backend fallbacks, one unit and one precision per column, booktabs rules, figures named by method."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from mlee.catalog import dataset_display, dataset_task, datasets
from mlee.layout import SHIPPED_RESULTS
from mlee.paper import PaperOptions, generate


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("paper")
    generate(PaperOptions(directory=SHIPPED_RESULTS, output=folder, issue_date=datetime.date(2026, 12, 7)))
    return folder


def _body(text: str) -> list[list[str]]:
    body = text.split(r"\midrule", 1)[1].split(r"\bottomrule", 1)[0]
    return [[c.strip() for c in line.strip().removesuffix(r"\\").split(" & ")] for line in body.strip().splitlines()]


def test_tables_use_booktabs_rules_only_and_joules_throughout(out):
    for name in ("table_best_models.tex", "table_backends.tex", "table_weights.tex"):
        text = (out / name).read_text(encoding="utf-8")
        spec = re.search(r"\\begin\{tabular\}\{([^}]*)\}", text).group(1)
        assert "|" not in spec and r"\cline" not in text, name
        assert "[Ws]" not in text, name
    assert "[J]" in (out / "table_best_models.tex").read_text() and "[J]" in (out / "table_backends.tex").read_text()


def test_each_column_has_one_precision_and_counts_are_not_raw_digits(out):
    rows = _body((out / "table_best_models.tex").read_text(encoding="utf-8"))
    regression = {dataset_display(key) for key in datasets() if dataset_task(key) == "regression"}
    # the quality column: F1 in % with two decimals, a regression dataset's R^2 with three
    f1 = [row[4] for row in rows if row[0] not in regression]
    r2 = [row[4] for row in rows if row[0] in regression]
    assert f1 and all(re.fullmatch(r"\d+\.\d\d", cell) for cell in f1), f1
    assert all(re.fullmatch(r"-?\d\.\d{3}", cell) for cell in r2), r2
    indices = [re.search(r"\{([\d.]+)\??\}$", row[3]).group(1) for row in rows]
    assert all(re.fullmatch(r"\d+\.\d\d", cell) for cell in indices), indices
    assert not any(re.search(r"\d{7}", row[8]) for row in rows)


def test_energies_and_times_carry_intervals_and_borderline_letters_are_marked(out):
    text = (out / "table_best_models.tex").read_text(encoding="utf-8")
    for row in _body(text):
        low, high = (float(v) for v in re.search(r"\[([\d.]+), ([\d.]+)\]", row[2]).groups())
        value = float(re.match(r"[\d.]+", row[2]).group(0))
        assert low <= value <= high
    assert "95 \\% interval" in text
    assert re.search(r"\\colorbox\{R[A-E]\}\{[\d.]+\?\}", text) and "borderline letter" in text


def test_backend_table_marks_estimates_fallbacks_and_says_letters_are_per_backend(out):
    text = (out / "table_backends.tex").read_text(encoding="utf-8")
    rows = _body(text)
    assert all(r"$^\dagger$" in row[2] and r"$^\dagger$" in row[4] for row in rows)  # every shipped energy is estimated
    fallback = {row[0] for row in rows if r"$^\S$" in row[1]}
    assert fallback == {"RF", "XRF"} and all("intelex" in row[1] for row in rows if r"$^\S$" in row[1])
    assert "stock scikit-learn" in text and "relative to each backend's own reference model" in text


def test_method_distributions_are_named_by_method(out):
    names = {p.name for p in out.glob("model distrib *.pdf")}
    assert "model distrib Random Forest.pdf" in names and not any(re.search(r"distrib \d\d", n) for n in names)
