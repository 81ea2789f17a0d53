"""A user's data file (CSV or Parquet): the same data in both formats is the same dataset with the same
fingerprint and the same prepared split; every file mlee cannot use is refused with the problem and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from mlee.runs.data_file import DataFileError, load_data_file, table_fingerprint
from mlee.runs.preparation import prepare


def iris_with_categories() -> pd.DataFrame:
    frame = load_iris(as_frame=True).frame.rename(columns={"target": "species"})
    rng = np.random.default_rng(0)
    frame["colour"] = rng.choice(["red", "green", "blue"], size=len(frame))
    frame["flag"] = rng.random(len(frame)) > 0.5
    frame.loc[3, "colour"] = None
    return frame


def test_the_same_data_as_csv_and_parquet_is_one_dataset(tmp_path):
    frame = iris_with_categories()
    frame.to_csv(tmp_path / "flowers.csv", index=False)
    frame.to_parquet(tmp_path / "flowers.parquet", index=False)
    from_csv = load_data_file(tmp_path / "flowers.csv", "species")
    from_parquet = load_data_file(tmp_path / "flowers.parquet", "species")
    assert from_csv.details["fingerprint"] == from_parquet.details["fingerprint"]
    assert from_csv.key == from_parquet.key == "file:flowers" and from_csv.source == "file"
    assert from_csv.details["rows"] == 150 and from_csv.details["columns"] == 6
    csv_split, parquet_split = prepare(from_csv, seed=7), prepare(from_parquet, seed=7)
    assert csv_split.categorical_columns == ["colour", "flag"]
    np.testing.assert_array_equal(csv_split.X_train, parquet_split.X_train)
    np.testing.assert_array_equal(csv_split.y_test, parquet_split.y_test)
    assert csv_split.n_classes == 3


def test_the_fingerprint_follows_the_content_not_the_file(tmp_path):
    frame = iris_with_categories()
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_csv(tmp_path / "b.csv", index=False, lineterminator="\r\n", quoting=1)
    first = load_data_file(tmp_path / "a.csv", "species").details["fingerprint"]
    assert load_data_file(tmp_path / "b.csv", "species").details["fingerprint"] == first
    changed = frame.copy()
    changed.loc[10, "sepal length (cm)"] += 0.1
    assert table_fingerprint(changed, "species") != first
    assert table_fingerprint(frame, "colour") != first
    assert table_fingerprint(frame[list(reversed(frame.columns))], "species") != first


@pytest.mark.parametrize("content, target, words", [
    (None, "y", ["does not exist", "check the path"]),
    ("", "y", ["is empty", "header row"]),
    ("a,b,y\n", "y", ["0 rows", "rows of samples"]),
    ("a,b\n1,2\n3,4\n", "y", ["no column 'y'", "a, b"]),
    ("a,y\n1,1\n2,1\n3,1\n", "y", ["single value 1", "two values"]),
    ("a,y\n1,\n2,\n", "y", ["holds no values"]),
    ("y\n1\n2\n", "y", ["no feature column"]),
])
def test_unusable_csv_files_are_refused_with_the_fix(tmp_path, content, target, words):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataFileError) as error:
        load_data_file(path, target)
    for word in words:
        assert word in str(error.value)


def test_columns_preparation_cannot_encode_are_named(tmp_path):
    rows = 200
    base = pd.DataFrame({"x": np.arange(rows, dtype=float), "y": np.arange(rows) % 2})
    cases = {
        "when": (base.assign(when=pd.date_range("2026-01-01", periods=rows)), "dates or times"),
        "tags": (base.assign(tags=[[i, i + 1] for i in range(rows)]), "flatten it"),
        "comment": (base.assign(comment=[f"free text number {i}" for i in range(rows)]), "free text or an identifier"),
    }
    for column, (frame, words) in cases.items():
        path = tmp_path / f"{column}.parquet"
        frame.to_parquet(path)
        with pytest.raises(DataFileError, match=words) as error:
            load_data_file(path, "y")
        assert repr(column) in str(error.value)
    few_texts = base.assign(kind=["small", "large"] * (rows // 2))
    few_texts.to_parquet(tmp_path / "ok.parquet")
    assert load_data_file(tmp_path / "ok.parquet", "y").details["columns"] == 2


def test_a_regression_target_must_be_numbers_and_other_formats_are_refused(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,y\n1,low\n2,high\n")
    with pytest.raises(DataFileError, match="regression target must be numbers"):
        load_data_file(path, "y", task="regression")
    assert load_data_file(path, "y").details["target"] == "y"
    (tmp_path / "data.xlsx").write_bytes(b"PK")
    with pytest.raises(DataFileError, match=r"\.csv and \.parquet"):
        load_data_file(tmp_path / "data.xlsx", "y")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataFileError, match="could not be read as PARQUET"):
        load_data_file(tmp_path / "broken.parquet", "y")
