"""The wheel installed outside the checkout: every mlee-* command names itself and runs its default on the
shipped data the wheel carries (no checkout on the path, the current folder elsewhere)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["mlee", "mlee-evaluate", "mlee-search", "mlee-merge", "mlee-label", "mlee-paper", "mlee-elex"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """A wheel built from the checkout, installed (without dependencies) into a fresh venv whose only view of
    the test venv's packages is a .pth line: the dependencies are found, mlee only as the installed wheel."""
    work = tmp_path_factory.mktemp("installed")
    source = work / "source"  # a copy of the files git knows: the build writes build/ and *.egg-info into it
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    wheels = work / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheels)], check=True, capture_output=True, cwd=work)
    wheel = next(wheels.glob("mlee-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "mlee-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed",
                    str(wheel)], check=True, capture_output=True, env=env)
    cwd = work / "elsewhere"
    cwd.mkdir()
    return {"env": env, "cwd": cwd, "python": python, "site": Path(purelib)}


def _run(installed: dict, *command: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), capture_output=True, text=True, env=installed["env"], cwd=installed["cwd"],
                          timeout=timeout)


def test_the_installed_package_is_the_wheel_and_finds_its_shipped_data(installed):
    done = _run(installed, str(installed["python"]), "-c",
                "import json, mlee, mlee.layout as l; print(json.dumps([mlee.__file__, str(l.SHIPPED)]))")
    package, shipped = json.loads(done.stdout)
    assert Path(package).parent == installed["site"] / "mlee"
    assert Path(shipped) == installed["site"] / "mlee" / "shipped"
    assert (Path(shipped) / "results").is_dir() and (Path(shipped) / "sklearn_hyperparameters").is_dir()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_names_itself_in_its_help(installed, command):
    done = _run(installed, command, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {command} ")


def test_the_study_workflow_runs_on_defaults_outside_the_checkout(installed):
    listed = _run(installed, "mlee-label", "--list")
    assert listed.returncode == 0, listed.stderr
    assert "breast_cancer" in listed.stdout and str(installed["site"] / "mlee" / "shipped") in listed.stderr

    searched = _run(installed, "mlee-search", "--dataset", "iris", "--model", "kNN", "--n-iter", "2",
                    "--no-progress")
    assert searched.returncode == 0, searched.stderr
    assert list((installed["cwd"] / "sklearn_hyperparameters").rglob("hyperparameters__iris__*.json"))

    evaluated = _run(installed, "mlee-evaluate", "--dataset", "iris", "--model", "kNN", "--no-progress",
                     "--no-robustness", "--monitor", "estimate")
    assert evaluated.returncode == 0, evaluated.stderr
    assert len(list((installed["cwd"] / "logs" / "sklearn").iterdir())) == 2

    merged = _run(installed, "mlee-merge")
    assert merged.returncode == 0, merged.stderr
    assert "2 merged" in merged.stdout

    label = _run(installed, "mlee-label", "--task", "inference")
    assert label.returncode == 0, label.stderr
    assert (installed["cwd"] / "iris_inference_knn.pdf").is_file()

    paper = _run(installed, "mlee-paper")
    assert paper.returncode == 0, paper.stderr
    assert (installed["cwd"] / "paper_results").is_dir()

    measured = _run(installed, "mlee", "measure", "--", sys.executable, "-c", "pass")
    assert measured.returncode == 0, measured.stderr
    assert (installed["cwd"] / "measurements").is_dir()


def test_the_installed_explorer_serves_on_its_defaults(installed):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(["mlee-elex", "--port", str(port)], env=installed["env"], cwd=installed["cwd"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, page = time.monotonic() + 90, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert page is not None, server.stdout.read() if server.poll() is not None else "no answer in 90 s"
        assert "_dash-config" in page or "dash" in page.lower()
    finally:
        server.terminate()
        server.wait(timeout=30)
