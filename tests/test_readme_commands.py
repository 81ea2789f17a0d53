"""Every command in the ``bash`` code blocks of the README and of every docs page runs as written, in a temporary
clone of this working tree, in reading order: the README, then the pages in the order of mkdocs.yml's nav (so
"The workflow" of Getting started runs first, as a new user would type it; a command written twice runs once). Commands that take minutes or need
the network run in a reduced variant listed in REDUCED with the reason; servers (ELEx) are started on a free
port, their page fetched, then stopped; the commands that run the test suite itself are left out (SKIPPED).

After the workflow block, ``git status --porcelain`` of the clone must be empty (the user's runs never write
into shipped, tracked data); after every command, no tracked file may have changed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import REFERENCE
from elex_support import free_port

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
CHECKPOINT = "<git status is clean after the workflow>"

#: command as written -> (why it is reduced, the command run instead, expected exit status)
REDUCED: dict[str, tuple[str, str, int]] = {
    "python evaluate_hyperparams.py": (
        "long-running (~8 min): the same search on one method with 2 iterations",
        "python evaluate_hyperparams.py --model GNB --n-iter 2", 0),
    'python evaluate_hyperparams.py --dataset digits --model "Random Forest" --n-iter 50': (
        "long-running (~1 min): 2 iterations",
        'python evaluate_hyperparams.py --dataset digits --model "Random Forest" --n-iter 2', 0),
    "python evaluate_sklearn.py --repeats 3 --output-dir logs/sklearn": (
        "long-running (~20 s, 120 runs): one repeat", "python evaluate_sklearn.py --repeats 1 --output-dir logs/sklearn",
        0),
    "python evaluate_hyperparams.py --dataset study --data-home ~/scikit_learn_data --n-jobs -1": (
        "needs the network to download the study's datasets: offline it must fail cleanly (exit 1, no traceback)",
        "python evaluate_hyperparams.py --dataset study --data-home ~/scikit_learn_data --n-jobs -1 --no-download",
        1),
    "python evaluate_sklearn.py --backend sklearnex --repeats 3": (
        "long-running (~2 min, 120 runs): iris, one repeat",
        "python evaluate_sklearn.py --backend sklearnex --dataset iris", 0),
    "python evaluate_sklearn.py --backend torch --repeats 3": (
        "long-running (~2 min, 24 runs): LR on iris, one repeat",
        "python evaluate_sklearn.py --backend torch --dataset iris --model LR", 0),
}
#: commands not run here, and why
SKIPPED: dict[str, str] = {
    "bash quickstart.sh": "installs into ./.venv and serves until Ctrl+C: test_quickstart_script_* runs it",
    "bash .ci/run": "the test suite itself",
    "bash .ci/run tests/test_label_render.py -q": "the test suite itself",
    "source .venv/bin/activate": "activates the environment these tests already run in",
    "python -m pytest -q -k rating": "the test suite itself",
    "pip install": "installs packages from an index (the optional backends: bash .ci/run installs them)",
}


def _normal(command: str) -> str:
    """One spelling per command (shlex quoting), to compare README commands with the tables above."""
    return shlex.join(shlex.split(command))


def pages() -> list[Path]:
    """The README, then the docs pages in the order of mkdocs.yml's nav, then any page the nav leaves out."""
    nav = re.findall(r"^\s*-\s*(?:[^:#\n]+:\s*)?([\w./-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), flags=re.M)
    ordered = [DOCS / name for name in nav if (DOCS / name).is_file()]
    rest = sorted(set(DOCS.rglob("*.md")) - set(ordered))
    return [README, *ordered, *rest]


#: a here-document's start (``cat > f <<'EOF'``): its lines up to the terminator belong to the command
HEREDOC = re.compile(r"<<-?\s*'?(\w+)'?\s*$")
#: a leading ``NAME=value`` (an environment variable set for the command)
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _block_commands(block: str) -> list[str]:
    """The command lines of a bash block: continuation lines joined, a quote spanning lines kept in one
    command, a here-document kept with its command; what needs a shell (a here-document, an environment
    assignment before the command) is run by ``bash -c``."""
    lines, out = block.replace("\\\n", " ").splitlines(), []
    while lines:
        line = lines.pop(0)
        heredoc = HEREDOC.search(line)
        if heredoc:
            body = [line]
            while lines:
                body.append(lines.pop(0))
                if body[-1].strip() == heredoc.group(1):
                    break
            out.append(shlex.join(["bash", "-c", "\n".join(body)]))
            continue
        while True:
            try:
                tokens = shlex.split(line, comments=True)
                break
            except ValueError:  # a quote closes on a later line
                if not lines:
                    raise
                line += "\n" + lines.pop(0)
        if tokens and ASSIGNMENT.match(tokens[0]):
            out.append(shlex.join(["bash", "-c", line]))
        elif tokens:
            out.append(shlex.join(tokens))
    return out


def readme_commands() -> list[str]:
    """Every command of the ``bash`` blocks of :func:`pages` (:func:`_block_commands`), comments dropped, ``&&``
    chains split into their commands."""
    commands: list[str] = []
    for page in pages():
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S):
            for line in _block_commands(block):
                if line.startswith("bash -c "):  # one shell command: its && stays inside
                    commands.append(line)
                    continue
                tokens = shlex.split(line)
                while tokens:
                    cut = tokens.index("&&") if "&&" in tokens else len(tokens)
                    command = shlex.join(tokens[:cut])
                    if command not in commands or command.startswith("python merge_results.py"):
                        commands.append(command)  # a repeated command runs once (merges: each time, state changes)
                    tokens = tokens[cut + 1:]
            if "python elex.py" in commands and CHECKPOINT not in commands:
                commands.append(CHECKPOINT)  # the workflow block ends with ELEx
    return commands


def test_the_pages_are_the_readme_then_the_docs_in_nav_order():
    names = [str(p.relative_to(ROOT)) for p in pages()]
    assert names[:3] == ["README.md", "docs/index.md", "docs/getting-started.md"]
    assert len(names) == len(set(names)) and set(names[1:]) == {str(p.relative_to(ROOT)) for p in DOCS.rglob("*.md")}


def _clone(target: Path) -> Path:
    """A git clone of this working tree as it is now (uncommitted changes committed in the clone)."""
    subprocess.run(["git", "clone", "-q", "--shared", str(ROOT), str(target)], check=True)
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source, copy = ROOT / name, target / name
        if source.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
        elif copy.exists():
            copy.unlink()
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    subprocess.run([*git, "add", "-A"], cwd=target, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "working tree"], cwd=target, check=True)
    return target


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    return _clone(tmp_path_factory.mktemp("readme") / "mlee")


def _argv(command: str, clone: Path) -> list[str]:
    argv = shlex.split(command)
    # only the README's own arguments are redirected from /tmp/: a checkout under /tmp (as CI's may be)
    # keeps its own interpreter's path
    out = [sys.executable if argv[0] == "python" else argv[0]]
    for arg in argv[1:]:
        if arg == "python":  # a program run by a command (mlee measure -- python ...)
            arg = sys.executable
        elif arg.startswith("../shared/reference"):
            if not REFERENCE.is_dir():
                pytest.skip("../shared/reference is not present")
            arg = str(REFERENCE) + arg[len("../shared/reference"):]
        elif arg.startswith("/tmp/"):
            arg = str(clone.parent / arg[len("/tmp/"):])
        out.append(arg)
    return out


def _serve(argv: list[str], clone: Path) -> str:
    """Start ELEx, fetch its page, stop it; returns what it printed."""
    port = free_port()
    proc = subprocess.Popen([*argv, "--port", str(port)], cwd=clone, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "ELEx: http" in line:
                break
        else:
            raise AssertionError("ELEx ended before serving: " + "".join(lines))
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
                    assert page.status == 200 and b"ELEx" in page.read()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return "".join(lines)


def _changed_tracked(clone: Path) -> list[str]:
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True,
                            check=True).stdout.splitlines()
    return [line for line in status if not line.startswith("??")]


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_runs_as_written(command, clone):
    if command == CHECKPOINT:
        status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True)
        assert status.stdout == "", f"the workflow changed or added files git sees:\n{status.stdout}"
        return
    if any(command == skipped or command.startswith(skipped + " ") for skipped in SKIPPED):
        pytest.skip(next(v for k, v in SKIPPED.items() if command.startswith(k)))
    reason, run, expected = {_normal(k): v for k, v in REDUCED.items()}.get(command, ("", command, 0))
    argv = _argv(run, clone)
    # a command run by bash finds this interpreter as "python"
    env = dict(os.environ, MPLBACKEND="Agg", PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                                   os.environ.get("PATH", "")]))
    if argv[1:2] == ["elex.py"]:
        printed = _serve(argv, clone)
        if command == "python elex.py":  # in the workflow, after the user's merge: shows the user's results
            assert "ELEx shows your results in results/" in printed, printed
    else:
        done = subprocess.run(argv, cwd=clone, capture_output=True, text=True, timeout=600, env=env)
        output = done.stdout + done.stderr
        assert done.returncode == expected, f"{command}\n{reason}\n{output[-4000:]}"
        assert "Traceback" not in output, output[-4000:]
    assert _changed_tracked(clone) == [], f"{command} changed tracked files"


def test_every_reduced_or_skipped_command_is_still_on_a_page():
    commands = readme_commands()
    for command in map(_normal, [*REDUCED, *SKIPPED]):
        assert any(c == command or c.startswith(command + " ") for c in commands), command
