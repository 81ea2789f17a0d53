"""Choosing a label's row from a results table by parts of names, and the errors of bad choices."""

from __future__ import annotations

import pandas as pd
import pytest

from mlee.label.selection import SelectionError, match_value, rows_for_file, select_one, select_rows

XEON = "Intel Xeon W-2155 - scikit-learn 1.1.2"
EPYC = "AMD EPYC 7702 - scikit-learn 1.9.1"


@pytest.fixture()
def table(tmp_path) -> pd.DataFrame:
    rows = []
    for env in (XEON, EPYC):
        for dataset, display in (("credit-g", "German Credit"), ("mnist_784", "MNIST")):
            for model, short in (("Random Forest", "RF"), ("Extra Random Forest", "XRF"), ("Ridge Regression", "RR")):
                for task in ("inference", "training"):
                    kind = "infer" if task == "inference" else "train"
                    backend = env.rsplit(" ", 1)[-1]
                    name = f"{kind}_{dataset}_{short}_{backend}.json"
                    files = [str(tmp_path / "sklearn" / name)]
                    if task == "training":  # a merged infer file also holds its training run
                        files.append(str(tmp_path / "sklearn" / name.replace("train_", "infer_")))
                    rows.append(dict(dataset=dataset, dataset_display=display, task=task, environment=env,
                                     model=model, model_short=short, files=files))
    return pd.DataFrame(rows)


def test_exact_names_short_names_and_unique_parts_match(table):
    assert match_value(table, "model", "Random Forest") == "Random Forest"  # exact beats the longer name
    assert match_value(table, "model", "xrf") == "Extra Random Forest"
    assert match_value(table, "model", "extra") == "Extra Random Forest"
    assert match_value(table, "dataset", "german") == "credit-g"
    assert match_value(table, "dataset", "MNIST") == "mnist_784"
    assert match_value(table, "task", "infer") == "inference"
    assert match_value(table, "environment", "epyc") == EPYC


def test_select_one_with_parts_of_names(table):
    row = select_one(table, dataset="credit", task="train", environment="xeon", model="ridge")
    assert (row["dataset"], row["task"], row["environment"], row["model"]) == \
        ("credit-g", "training", XEON, "Ridge Regression")


def test_a_choice_can_be_left_out_where_only_one_value_fits(table):
    only_xeon = table[table["environment"] == XEON]
    row = select_one(only_xeon, dataset="mnist", task="inference", model="RF")
    assert row["environment"] == XEON and row["model"] == "Random Forest"


def test_ambiguous_choice_names_the_candidates(table):
    with pytest.raises(SelectionError, match=r"model 'forest' is ambiguous: it matches "
                                             r"'Extra Random Forest', 'Random Forest'"):
        select_one(table, dataset="credit-g", task="inference", environment="xeon", model="forest")


def test_unknown_choice_lists_the_available_values(table):
    with pytest.raises(SelectionError) as error:
        select_rows(table, dataset="iris")
    assert "unknown dataset 'iris'" in str(error.value)
    assert "'credit-g', 'mnist_784'" in str(error.value)


def test_missing_needed_choice_lists_the_options(table):
    with pytest.raises(SelectionError, match=r"several environments fit; choose one with --environment: "
                                             rf"'{EPYC}', '{XEON}'"):
        select_one(table, dataset="credit-g", task="inference", model="RF")


def test_empty_table_says_where_results_come_from():
    with pytest.raises(SelectionError, match="results table is empty"):
        select_rows(pd.DataFrame(columns=["dataset", "task", "environment", "model", "files"]))


def test_rows_for_file_by_name_and_path_prefers_the_task_of_the_file(table, tmp_path):
    infer = "infer_credit-g_RR_1.1.2.json"
    rows = rows_for_file(table, infer)
    assert list(rows["task"]) == ["inference"] and list(rows["model"]) == ["Ridge Regression"]
    train = tmp_path / "sklearn" / "train_mnist_784_XRF_1.9.1.json"
    rows = rows_for_file(table, train)
    assert list(rows["task"]) == ["training"] and list(rows["environment"]) == [EPYC]
    with pytest.raises(SelectionError, match="no result in the table comes from 'infer_nothing.json'"):
        rows_for_file(table, "infer_nothing.json")
    with pytest.raises(SelectionError, match="no result"):  # same name, other folder
        rows_for_file(table, tmp_path / "elsewhere" / infer)
