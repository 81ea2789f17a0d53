"""What ships under shipped/ is what today's code writes: the merged results have every field a run and a merge
write now, and the paper results are exactly what create_paper_results.py makes of them (regenerate both with
scripts/regenerate_shipped.sh after a change to what runs, merges or the paper write)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "shipped"
REGENERATE = "bash scripts/regenerate_shipped.sh"


def _run(*args: str) -> None:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def _fields(record: dict, sections: tuple[str, ...]) -> set[str]:
    """The keys of each named section of a merged record (``a.b`` = ``record["a"]["b"]``, ``""`` = the record
    itself), as ``section:key``."""
    out = set()
    for section in sections:
        node = record
        for part in filter(None, section.split(".")):
            node = node.get(part) if isinstance(node, dict) else None
        out |= {f"{section}:{key}" for key in (node or {})}
    return out


SECTIONS = ("", "config", "validation", "validation.results", "validation.measurement", "training",
            "training.results", "training.measurement")


@pytest.fixture(scope="module")
def written_today(tmp_path_factory) -> dict:
    """A merged inference record written now: one real run of Logistic Regression on iris, merged."""
    out = tmp_path_factory.mktemp("today")
    _run("evaluate_sklearn.py", "--dataset", "iris", "--model", "Logistic Regression", "--no-progress",
         "--output-dir", str(out / "logs"))
    _run("merge_results.py", "--directory", str(out / "logs"), "--output-agglog-dir", str(out / "results"))
    return json.loads(next((out / "results").glob("infer_*.json")).read_text())


SHIPPED_FOLDERS = sorted(p.relative_to(SHIPPED).as_posix() for p in SHIPPED.glob("results*/*") if p.is_dir())


def test_the_shipped_folders_are_the_bundled_sweeps():
    assert {"results/sklearn", "results/sklearnex", "results/torch", "results_boosting/xgboost",
            "results_boosting/lightgbm", "results_regression/sklearn"} <= set(SHIPPED_FOLDERS)


@pytest.mark.parametrize("folder", SHIPPED_FOLDERS)
def test_every_shipped_result_has_the_fields_a_run_writes_today(written_today, folder):
    wanted = _fields(written_today, SECTIONS)
    files = sorted((SHIPPED / folder).glob("infer_*.json"))
    assert files, f"no shipped results in shipped/{folder}"
    for path in files:
        have = _fields(json.loads(path.read_text()), SECTIONS)
        missing = sorted(wanted - have)
        assert not missing, f"{path.relative_to(ROOT)} lacks {missing[:8]}: run {REGENERATE}"


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def test_the_shipped_paper_results_are_what_the_paper_script_makes_of_the_shipped_results(tmp_path):
    shipped = SHIPPED / "paper_results"
    contents = json.loads((shipped / "contents.json").read_text())
    assert "issue_date" in contents, f"shipped/paper_results/contents.json predates the label date: run {REGENERATE}"
    _run("create_paper_results.py", "--directory", str(SHIPPED / "results"), "--output", str(tmp_path),
         "--issue-date", contents["issue_date"])
    made = {p.name for p in tmp_path.iterdir()}
    assert made == {p.name for p in shipped.iterdir()}, f"other files than shipped: run {REGENERATE}"
    for name in sorted(made):
        if name.endswith(".pdf"):
            same = _pdf_text(tmp_path / name) == _pdf_text(shipped / name)
        else:
            same = (tmp_path / name).read_bytes() == (shipped / name).read_bytes()
        assert same, f"shipped/paper_results/{name} is not what the code writes today: run {REGENERATE}"
