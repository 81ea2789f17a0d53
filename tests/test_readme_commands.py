"""Every command in the ``bash`` code blocks of the README and of every docs page runs as written, in a temporary
clone of this working tree: each page in a clone of its own, its commands in reading order (so "The workflow" of
Getting started runs as a new user would type it; a command written twice runs once), except the pages that read
what the workflow leaves (AFTER_WORKFLOW), which follow Getting started in its clone. The clones run side by side
on the test workers (one test class each). Commands that take minutes or need
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
        "long-running (~2-5 min on 2 cores, 159 runs; the workflow's sweep before it already ran every pair once): "
        "iris, the three repeats", "python evaluate_sklearn.py --repeats 3 --output-dir logs/sklearn --dataset iris",
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
    "python benchmarks/suite_time.py": "the test suite itself",
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


_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")


def block_commands(block: str) -> list[str]:
    """The commands of one ``bash`` block, in order: continuation lines joined, comments dropped, ``&&`` chains split
    into their commands. A command that spans lines (a here-document, a quoted string over several lines) stays
    one piece of shell text, lines and all."""
    commands: list[str] = []
    lines = block.replace("\\\n", " ").splitlines()
    while lines:
        text = lines.pop(0)
        heredoc = _HEREDOC.search(text)
        if heredoc:  # everything up to the terminator line is the command's input
            while lines:
                text += "\n" + lines.pop(0)
                if text.rsplit("\n", 1)[1].strip() == heredoc.group(2):
                    break
            commands.append(text)
            continue
        while True:
            try:
                tokens = shlex.split(text, comments=True)
                break
            except ValueError:  # a quotation closed on a later line
                if not lines:
                    raise
                text += "\n" + lines.pop(0)
        if "\n" in text:
            commands.append(text)
            continue
        while tokens:
            cut = tokens.index("&&") if "&&" in tokens else len(tokens)
            commands.append(shlex.join(tokens[:cut]))
            tokens = tokens[cut + 1:]
    return commands


def page_commands(page: Path) -> list[str]:
    """The commands of the ``bash`` blocks of ``page`` (see :func:`block_commands`), each once (merges each time:
    they see a new state); :data:`CHECKPOINT` after the block of the workflow (the one that ends with ELEx)."""
    commands: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S):
        for command in block_commands(block):
            if command not in commands or command.startswith("python merge_results.py"):
                commands.append(command)
        if "python elex.py" in commands and CHECKPOINT not in commands:
            commands.append(CHECKPOINT)
    return commands


#: pages whose commands read the state "The workflow" of Getting started leaves (the user's own results/: with
#: only the shipped results, several environments fit a label's selection); they run after it, in its clone
AFTER_WORKFLOW = ("docs/how-to/experiments.md", "docs/how-to/labels.md")
WORKFLOW_PAGE = "docs/getting-started.md"


def page_groups() -> list[list[Path]]:
    """The pages of :func:`pages` grouped by the clone they run in, each group in reading order: Getting started
    with the pages of :data:`AFTER_WORKFLOW`, every other page alone."""
    groups: list[list[Path]] = []
    for page in pages():
        name = str(page.relative_to(ROOT))
        if name in AFTER_WORKFLOW:
            next(group for group in groups if str(group[0].relative_to(ROOT)) == WORKFLOW_PAGE).append(page)
        else:
            groups.append([page])
    return groups


def group_commands(group: list[Path]) -> list[str]:
    """The commands of the pages of ``group`` in order; a command of an earlier page of the group runs once (merges
    each time)."""
    commands: list[str] = []
    for page in group:
        for command in page_commands(page):
            if command not in commands or command.startswith("python merge_results.py"):
                commands.append(command)
    return commands


def readme_commands() -> list[str]:
    """Every command of every page of :func:`pages`."""
    return [command for page in pages() for command in page_commands(page)]


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


def _is_shell(command: str) -> bool:
    """Whether ``command`` needs a shell: it spans lines, sets a variable for its program, or redirects."""
    if "\n" in command:
        return True
    tokens = shlex.split(command)
    return bool(re.fullmatch(r"[A-Za-z_]\w*=.*", tokens[0])) or any(t in (">", ">>", "<", "|") for t in tokens)


def _python_bin(clone: Path) -> Path:
    """A folder whose ``python`` is the interpreter running these tests (for commands bash runs): its own folder
    (a venv's ``bin``, where a venv finds its ``pyvenv.cfg``), else a folder with a link to it."""
    own = Path(sys.executable).parent
    if (own / "python").is_file() and (own / "python").resolve() == Path(sys.executable).resolve():
        return own
    folder = clone.parent / "python-bin"
    if not folder.is_dir():
        folder.mkdir()
        (folder / "python").symlink_to(sys.executable)
    return folder


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


def run_as_written(command: str, clone: Path) -> None:
    """Run ``command`` (or its :data:`REDUCED` variant) in ``clone``; it must exit as expected, print no traceback
    and change no tracked file. :data:`CHECKPOINT`: git sees no change at all."""
    if command == CHECKPOINT:
        status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True)
        assert status.stdout == "", f"the workflow changed or added files git sees:\n{status.stdout}"
        return
    reason, run, expected = {_normal(k): v for k, v in REDUCED.items()}.get(command, ("", command, 0))
    env = dict(os.environ, MPLBACKEND="Agg")
    if _is_shell(run):  # the shell's own syntax: bash runs it, with this interpreter as ``python``
        argv = ["bash", "-c", run]
        env["PATH"] = f"{_python_bin(clone)}{os.pathsep}{env.get('PATH', '')}"
    else:
        argv = _argv(run, clone)
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


def _group_tests(group: list[Path], commands: list[str]) -> type:
    """A test class running the commands of the pages of ``group`` in order in one clone of its own.
    pytest-xdist's ``--dist loadscope`` keeps a class on one worker but gives different classes to different
    workers: the groups run side by side, each group's commands in sequence."""

    class Page:
        @pytest.fixture(scope="class")
        @classmethod
        def clone(cls, tmp_path_factory) -> Path:
            return _clone(tmp_path_factory.mktemp("page") / "mlee")

        @pytest.mark.parametrize("command", commands)
        def test_command_runs_as_written(self, command: str, request) -> None:
            if any(command == skipped or command.startswith(skipped + " ") for skipped in SKIPPED):
                pytest.skip(next(v for k, v in SKIPPED.items() if command.startswith(k)))
            run_as_written(command, request.getfixturevalue("clone"))  # a page of skipped commands clones nothing

    names = [str(page.relative_to(ROOT)) for page in group]
    Page.__name__ = Page.__qualname__ = "TestCommandsOf_" + re.sub(r"\W", "_", names[0][:-3])
    Page.__doc__ = f"The commands of {', then '.join(names)}, in order, in one clone."
    if names[0] == WORKFLOW_PAGE:  # the longest group: started before the rest of the suite (tests/conftest.py)
        Page = pytest.mark.early(Page)
    return Page


for _group in page_groups():
    if _commands := group_commands(_group):
        _tests = _group_tests(_group, _commands)
        globals()[_tests.__name__] = _tests


def test_every_page_with_commands_runs_in_one_test_class():
    classes = {name for name in globals() if name.startswith("TestCommandsOf_")}
    grouped = [page for group in page_groups() for page in group]
    assert sorted(grouped) == sorted(pages()) and len(grouped) == len(set(grouped))
    assert len(classes) == sum(1 for group in page_groups() if group_commands(group)) > 5
    assert all(page in next(g for g in page_groups() if str(g[0].relative_to(ROOT)) == WORKFLOW_PAGE)
               for page in pages() if str(page.relative_to(ROOT)) in AFTER_WORKFLOW)


def test_every_reduced_or_skipped_command_is_still_on_a_page():
    commands = readme_commands()
    for command in map(_normal, [*REDUCED, *SKIPPED]):
        assert any(c == command or c.startswith(command + " ") for c in commands), command
