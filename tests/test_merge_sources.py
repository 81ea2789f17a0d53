"""merge_results.py --clean removes only what came from the folder it merges; a full disk ends a merge with a
message, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_merge_results import write_pair

from mlee.merge import STATE_FILE
from mlee.results import load_results

ROOT = Path(__file__).resolve().parents[1]


def merge(directory: Path, out: Path, archives: Path, *flags: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "merge_results.py"), "--directory", str(directory),
                             "--output-agglog-dir", str(out), "--output-log-dir", str(archives), "--quiet", *flags],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return out


def two_folders(tmp_path: Path, pairs: int = 3) -> tuple[Path, Path, list[str]]:
    a, b = tmp_path / "a", tmp_path / "b"
    names = []
    for i in range(pairs):
        for folder, hour in ((a, 10), (b, 11)):
            names += [p.name for p in write_pair(folder, f"2026_01_01_{hour}_00_0{i}", model=f"M{i}")]
    return a, b, names


def test_clean_merge_of_one_folder_keeps_the_merged_files_and_archives_of_another(tmp_path):
    a, b, names = two_folders(tmp_path)
    out, archives = tmp_path / "results", tmp_path / "archives"
    finished(merge(a, out, archives))
    finished(merge(b, out, archives))
    summary = finished(merge(b, out, archives, "--clean"))
    assert "0 stale files removed" in summary
    assert sorted(p.stem for p in out.glob("[!.]*.json")) == sorted(names)
    assert sorted(p.name[:-len(".tar.gz")] for p in archives.glob("*.tar.gz")) == sorted(names)
    assert len(load_results(out)) == len(names)
    # what B no longer has is still removed by B's clean merge, and only that
    vanished = sorted(b.glob("*_2026_01_01_11_00_00"))
    for folder in vanished:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
    summary = finished(merge(b, out, archives, "--clean"))
    assert "4 stale files removed" in summary
    assert sorted(p.stem for p in out.glob("[!.]*.json")) == sorted(set(names) - {f.name for f in vanished})


def test_two_clean_merges_at_once_into_one_folder_keep_both(tmp_path):
    a, b, names = two_folders(tmp_path)
    out, archives = tmp_path / "results", tmp_path / "archives"
    finished(merge(a, out, archives))
    finished(merge(b, out, archives))
    for first, second in ((a, b), (b, a)):
        procs = [merge(first, out, archives, "--clean"), merge(second, out, archives, "--clean")]
        for proc in procs:
            finished(proc)
        assert sorted(p.stem for p in out.glob("[!.]*.json")) == sorted(names)
        assert len(list(archives.glob("*.tar.gz"))) == len(names)


def test_clean_merge_keeps_merged_files_whose_source_folder_is_not_recorded(tmp_path):
    a, b, names = two_folders(tmp_path, pairs=1)
    out, archives = tmp_path / "results", tmp_path / "archives"
    finished(merge(a, out, archives))
    state_path = out / STATE_FILE
    state = json.loads(state_path.read_text())
    for entry in state["folders"].values():
        del entry["source"]  # as a merge that did not record it
    state_path.write_text(json.dumps(state))
    for folder in a.iterdir():  # A's folders are gone: nothing says the merged files came from B
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
    proc = merge(b, out, archives, "--clean")
    summary = finished(proc)
    assert "0 stale files removed" in summary
    assert len(list(out.glob("[!.]*.json"))) == len(names)


#: merge_results.py with the size of every file it writes limited to ``sys.argv[1]`` bytes (the kernel then
#: refuses the write as on a full disk: Python ignores SIGXFSZ, the write raises OSError)
LIMITED = ("import resource, runpy, sys; limit = int(sys.argv.pop(2)); sys.argv.pop(0); "
           "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)); "
           "runpy.run_path(sys.argv[0], run_name='__main__')")


def limited_merge(limit: int, logs: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LIMITED, str(ROOT / "merge_results.py"), str(limit),
                           "--directory", str(logs), "--output-agglog-dir", str(out), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_merge_onto_a_full_disk_says_what_is_kept_and_exits_non_zero_without_traceback(tmp_path):
    logs, out = tmp_path / "logs", tmp_path / "results"
    write_pair(logs, "2026_01_01_10_00_00")
    done = limited_merge(200, logs, out)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "could not write its merged file" in done.stderr and "File too large" in done.stderr
    assert "Free space and run the merge again" in done.stderr
    assert not list(out.glob("[!.]*.json")) and not list(out.glob(".*.tmp"))
    # the output folder itself cannot take the state file: the merge stops, says so and keeps what was there
    merged = subprocess.run([sys.executable, str(ROOT / "merge_results.py"), "--directory", str(logs),
                             "--output-agglog-dir", str(out), "--quiet"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert merged.returncode == 0, merged.stderr
    before = {p.name: p.read_bytes() for p in out.glob("[!.]*.json")}
    write_pair(logs, "2026_01_01_11_00_00")
    done = limited_merge(1, logs, out)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "the merge stopped" in done.stderr and "merged files and archives already in" in done.stderr
    assert {p.name: p.read_bytes() for p in out.glob("[!.]*.json")} == before
    assert len(load_results(out)) == 2
