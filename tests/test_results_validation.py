"""Values no measurement can produce never load as values: they show as n.a. with the reason, a file whose
dataset is not a name is skipped with the reason, and no consumer crashes."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

from test_merge_results import write_pair

from mlee.merge import merge_directory
from mlee.results import load_results

ROOT = Path(__file__).resolve().parents[1]


def merged(tmp_path: Path) -> Path:
    logs, out = tmp_path / "logs", tmp_path / "results"
    write_pair(logs, "2026_01_01_10_00_00")
    write_pair(logs, "2026_01_01_10_00_01", model="Extra Trees", energy=(1e308, 1e307), f1=1e308)
    write_pair(logs, "2026_01_01_10_00_02", dataset={"name": "iris"})
    report = merge_directory(logs, out, progress=False)
    assert len(report.merged) == 6
    return out


def test_impossible_values_load_as_missing_with_the_reason_and_a_dict_dataset_is_skipped(tmp_path):
    runs = load_results(merged(tmp_path))
    assert set(runs["dataset"]) == {"iris"} and len(runs) == 4
    bad = runs[runs["model"] == "Extra Trees"]
    good = runs[runs["model"] == "Random Forest"]
    assert bad["power_draw"].isna().all() and not bad["energy_complete"].any()
    assert bad["energy_quality"].str.contains("not a measured value").all()
    assert bad[["top1_val", "f1_val", "precision_val", "recall_val"]].isna().all().all()
    assert good["power_draw"].notna().all() and good["energy_complete"].all()
    assert math.isclose(good.loc[good["task"] == "inference", "f1_val"].iloc[0], 0.9)
    warnings = " ".join(runs.attrs["warnings"])
    assert "config.dataset is a JSON dict, not a name" in warnings
    assert "impossible value(s) shown as n.a." in warnings and "f1_val = 1e+308 %" in warnings


def test_label_cli_and_paper_script_show_the_valid_results_and_say_what_they_left_out(tmp_path):
    out = merged(tmp_path)
    done = subprocess.run([sys.executable, "-m", "mlee.label_generator", "--directory", str(out), "--list"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "impossible value(s) shown as n.a." in done.stderr and "not a name" in done.stderr
    assert "{'name'" not in done.stdout
