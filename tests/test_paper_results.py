"""create_paper_results on the published results: every output written, the table equals the rating engine.

The expected numbers are recomputed here through the rating engine (mlee.results + mlee.rating); the
dataset order is recomputed from the data shapes in the published files themselves.
"""

from __future__ import annotations

import json
import re

import pypdf
import pytest

from mlee.metrics import RATING_LETTERS
from mlee.paper import PaperOptions, generate
from mlee.cli.paper import main
from mlee.paper.tables import BEST_MODEL_COLUMNS, table_number
from mlee.units import format_number

MODE = "published median"


@pytest.fixture(scope="module")
def published(reference_dir):
    return reference_dir / "published-results"


@pytest.fixture(scope="module")
def engine(published):
    from mlee.rating import RatingSettings, rate
    from mlee.results import aggregate_runs, load_results

    settings = RatingSettings.default().replace(mode=MODE)
    runs = load_results(published)
    rated = rate(aggregate_runs(runs), settings)
    return runs, rated, settings


@pytest.fixture(scope="module")
def paper(published, tmp_path_factory):
    out = tmp_path_factory.mktemp("paper")
    result = generate(PaperOptions(directory=published, output=out, rating_mode=MODE))
    return result, out


def test_command_line_writes_pdfs_and_pngs(published, tmp_path, capsys, paper):
    _, first = paper
    args = ["--directory", str(published), "--rating-mode", MODE, "--output", str(tmp_path), "--png",
            "--issue-date", "2026-11-28", "--dataset", "phoneme"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "rating mode: published median" in printed and "scatter/labels dataset: phoneme" in printed
    pdfs = sorted(p.name for p in tmp_path.glob("*.pdf") if not p.name.startswith("label "))
    assert pdfs and sorted(p.name for p in tmp_path.glob("*.png")) == [n[:-4] + ".png" for n in pdfs]
    assert "Phoneme" in _pdf_text(tmp_path / "scatter index.pdf")
    # same settings, same table; figures other than the chosen dataset's are byte-identical
    assert (tmp_path / "table_best_models.tex").read_text() == (first / "table_best_models.tex").read_text()
    assert (tmp_path / "distrib 03.pdf").read_bytes() == (first / "distrib 03.pdf").read_bytes()


def _rows(out):
    text = (out / "table_best_models.tex").read_text(encoding="utf-8")
    body = text.split(r"\midrule", 1)[1].split(r"\bottomrule", 1)[0]
    return text, [[c.strip() for c in line.strip().removesuffix(r"\\").split(" & ")]
                  for line in body.strip().splitlines()]


def _published_sizes(published):
    sizes = {}
    for path in sorted(published.glob("*/infer_*.json")):
        data = json.loads(path.read_text())
        shape = data["validation"]["results"]["data"]["shape"]
        sizes[data["config"]["dataset"]] = shape["train"][0] + shape["test"][0]
    return sizes


def test_environment_is_the_one_with_most_results(paper, engine):
    runs, _, _ = engine
    result, _ = paper
    assert result.environment == runs["environment"].value_counts().idxmax()
    assert result.rating_mode == MODE and result.dataset == "credit-g"


def test_all_outputs_written(paper, engine):
    result, out = paper
    _, rated, _ = engine
    rows = rated[(rated["task"] == "inference") & (rated["environment"] == result.environment)]
    n_datasets, models = rows["dataset"].nunique(), sorted(rows["model"].unique())
    expected = {"table_best_models.tex", "table_weights.tex", "scatter index.pdf", "contents.json"}
    expected |= {f"label {m}.pdf" for m in rows.loc[rows["dataset"] == "credit-g", "model"]}
    expected |= {f"distrib {i:02d}.pdf" for i in range(n_datasets)}
    expected |= {f"model distrib {m}.pdf" for m in models}
    assert {p.name for p in out.iterdir()} == expected
    assert {p.name for p in result.files} == expected


def test_best_model_table_ordered_by_size_and_equal_to_engine(paper, engine, published):
    result, out = paper
    _, rated, _ = engine
    text, rows = _rows(out)
    inference = rated[(rated["task"] == "inference") & (rated["environment"] == result.environment)]
    sizes = _published_sizes(published)
    display = dict(zip(inference["dataset"], inference["dataset_display"]))
    by_size = sorted(sizes, key=lambda d: -sizes[d])
    assert [r[0] for r in rows] == [display[d] for d in by_size]
    assert len(rows) == inference["dataset"].nunique() == 10
    for dataset, cells in zip(by_size, rows):
        assert len(cells) == 2 + 2 * len(BEST_MODEL_COLUMNS)
        candidates = inference[inference["dataset"] == dataset]
        match = re.fullmatch(r"\\colorbox\{R([A-E])\}\{([A-E])\??\} (.+)", cells[1])
        assert match and match.group(1) == match.group(2)
        model = candidates[candidates["model_short"] == match.group(3)].iloc[0]
        # best compound rating; among those, the highest inference energy index
        assert model["compound_rating"] == candidates["compound_rating"].min()
        assert RATING_LETTERS[int(model["compound_rating"])] == match.group(1)
        best = candidates[candidates["compound_rating"] == model["compound_rating"]]
        assert model["power_draw_index"] == best["power_draw_index"].max()
        for i, column in enumerate(BEST_MODEL_COLUMNS):
            value = cells[2 + 2 * i].replace(r"$^\dagger$", "").split(r" {\scriptsize")[0]
            assert value == table_number(model[column.key], column.unit, column.scale)
            assert (r"$^\dagger$" in cells[2 + 2 * i]) == (column.key == "power_draw"
                                                            and bool(model["energy_estimated"]))
            letter = RATING_LETTERS[int(model[f"{column.key}_rating"])]
            index = f"{model[column.key + '_index']:.2f}" + ("?" if model[column.key + "_stability"] < 0.8 else "")
            assert cells[3 + 2 * i] == rf"\colorbox{{R{letter}}}{{{index}}}"
    assert r"\definecolor{RA}{HTML}" in text and r"\end{tabular}" in text


def test_weights_table_lists_the_settings_weights(paper, engine):
    _, out = paper
    _, _, settings = engine
    text = (out / "table_weights.tex").read_text(encoding="utf-8")
    for key, weight in settings.weights.items():
        scope = key.split(" ", 1)[0]
        if scope != "training" and weight > 0:
            assert f"& {format_number(weight, 4)} \\\\" in text
    assert text.index("Complexity") < text.index("Quality") < text.index("Resources")


def _pdf_text(path):
    reader = pypdf.PdfReader(path)
    return " ".join(page.extract_text() for page in reader.pages)


def test_figures_are_pdfs_with_their_titles_and_labels(paper, engine):
    result, out = paper
    _, rated, _ = engine
    inference = rated[(rated["task"] == "inference") & (rated["environment"] == result.environment)]
    contents = json.loads((out / "contents.json").read_text())
    text = _pdf_text(out / "scatter index.pdf")
    assert "Inference energy index" in text and "F1 score index" in text and "German Credit" in text
    for short in inference.loc[inference["dataset"] == "credit-g", "model_short"]:
        assert short in text
    _, rows = _rows(out)
    for position, cells in enumerate(rows):
        assert cells[0].replace("\\", "") in _pdf_text(out / f"distrib {position:02d}.pdf")
    for name, what in contents["files"].items():
        if name.startswith("model distrib"):
            model = what.removeprefix("compound ratings of ").removesuffix(" across datasets")
            assert model in inference["model"].values and model in _pdf_text(out / name)
        if name.startswith("label "):
            model = name.removeprefix("label ").removesuffix(".pdf")
            assert model in inference["model"].values
            label_text = _pdf_text(out / name)
            assert model in label_text or inference.loc[inference["model"] == model, "model_short"].iloc[0] in label_text
    assert contents["files"]["model distrib k-Nearest Neighbors.pdf"] == ("compound ratings of k-Nearest Neighbors "
                                                                         "across datasets")


def test_cli_refuses_unknown_inputs_with_the_fix(published, tmp_path, capsys):
    assert main(["--directory", str(published), "--environment", "nowhere", "--output", str(tmp_path)]) == 2
    assert "pass --environment with one of" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:  # argparse refuses an unknown mode, listing the known ones
        main(["--directory", str(published), "--rating-mode", "sometimes", "--output", str(tmp_path)])
    assert refused.value.code == 2 and "published median" in capsys.readouterr().err
    assert main(["--directory", str(tmp_path / "missing"), "--output", str(tmp_path)]) == 2
    assert "--directory" in capsys.readouterr().err
    assert not any(tmp_path.glob("*.pdf"))


def test_reference_option_reaches_the_ratings(published, tmp_path):
    assert main(["--directory", str(published), "--rating-mode", MODE, "--output", str(tmp_path),
                 "--issue-date", "2026-11-28", "--reference", "credit-g=Random Forest"]) == 0
    label = _pdf_text(tmp_path / "label Random Forest.pdf")
    assert "relative to Random Forest" in label and "Support Vector Machine" not in label
    with pytest.raises(SystemExit) as exit_:
        main(["--directory", str(published), "--output", str(tmp_path), "--reference", "credit-g"])
    assert exit_.value.code == 2
