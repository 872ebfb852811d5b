"""dvc.yaml's deps are exactly what each stage reads, so that DVC reruns exactly the stages
a change can affect: the first-party code its module imports, directly or through other
modules (read from the source), and the data files it opens (seen when it runs)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.imports import FIRST_PARTY, import_closure
from support.repos import REPO

CODE_FOLDERS = tuple(f"{package}/" for package in FIRST_PARTY)


def stages_of(pipeline: dict) -> dict[str, dict]:
    return pipeline["stages"]


def module_of(stage: dict) -> str:
    command = stage["cmd"].split()
    assert command[:2] == ["python", "-m"] and len(command) == 3, stage["cmd"]
    return command[2]


def code_deps(stage: dict) -> list[str]:
    """The Python among a stage's deps (the page's HTML and JavaScript, in the package too,
    are files the site stage reads)."""
    python = [dep for dep in stage["deps"] if dep.endswith(".py") or (REPO / dep).is_dir()]
    return [dep for dep in python if dep.startswith(CODE_FOLDERS) or dep in FIRST_PARTY]


def covered(dep: str) -> set[Path]:
    """The code files a dep of dvc.yaml stands for: itself, or every module in a folder."""
    path = REPO / dep
    if path.is_dir():
        return {module.relative_to(REPO) for module in path.rglob("*.py")}
    return {Path(dep)}


def deps_problems(pipeline: dict) -> list[str]:
    """Each stage's code deps against its import closure: a module it imports that no dep
    covers, and a dep that stands for any module it does not import."""
    problems = []
    for name, stage in stages_of(pipeline).items():
        imported = import_closure(REPO, module_of(stage))
        listed = code_deps(stage)
        listed_files = set().union(*(covered(dep) for dep in listed))
        problems += [
            f"{name}: imports {path}, which its deps do not list" for path in sorted(imported - listed_files)
        ]
        problems += [
            f"{name}: lists {dep}, which it never imports" for dep in listed if not covered(dep) <= imported
        ]
    return problems


def pipeline() -> dict:
    return yaml.safe_load((REPO / "dvc.yaml").read_text())


def test_every_stage_lists_exactly_the_code_it_imports() -> None:
    assert deps_problems(pipeline()) == []


def test_a_module_imported_but_not_listed_is_found() -> None:
    """As dvc.yaml was before this test: check, fetch and prepare imported the engine
    through params.py without listing it."""
    changed = pipeline()
    changed["stages"]["check"]["deps"].remove("mlp")
    assert deps_problems(changed) == [f"check: imports mlp/{name}, which its deps do not list" for name in (
        "__init__.py", "activations.py", "augment.py", "initializers.py", "losses.py", "network.py",
        "optimizers.py", "registry.py", "schedules.py", "training.py",
    )]  # fmt: skip


def test_a_module_listed_but_never_imported_is_found() -> None:
    changed = pipeline()
    changed["stages"]["fetch"]["deps"].append("numpy_mlp_mnist/pictures.py")
    changed["stages"]["prepare"]["deps"].append("mlp")
    assert deps_problems(changed) == [
        "fetch: lists numpy_mlp_mnist/pictures.py, which it never imports",
        "prepare: lists mlp, which it never imports",
    ]


# Run as dvc.yaml runs it, recording every file the stage opens for reading.
RECORDING = """
import json, os, runpy, sys
opened = set()
def record(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path, mode, flags = os.fsdecode(args[0]), args[1], args[2]
        reading = ("r" in mode and "+" not in mode) if mode else not flags & (os.O_WRONLY | os.O_RDWR)
        if reading and not os.path.isabs(path):
            opened.add(os.path.normpath(path))
sys.addaudithook(record)
try:
    runpy.run_module(sys.argv[1], run_name="__main__")
finally:
    with open(sys.argv[2], "w") as log:
        json.dump(sorted(opened), log)
"""


@pytest.mark.parametrize("stage", ["check", "prepare", "train", "evaluate", "export"])
def test_every_stage_lists_exactly_the_data_it_opens(workspace: Path, stage: str, tmp_path: Path) -> None:
    """fetch reads no file of the workspace: its data comes from the source params.yaml names."""
    log = tmp_path / "opened.json"
    result = subprocess.run(
        [sys.executable, "-c", RECORDING, f"stages.{stage}", str(log)], cwd=workspace,
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    opened = {path for path in json.loads(log.read_text()) if path != "params.yaml"}
    declared = pipeline()["stages"][stage]
    data = {dep for dep in declared["deps"] if dep not in code_deps(declared)}
    assert opened == data
