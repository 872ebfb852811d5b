"""The GitHub Pages job of .github/workflows/pages.yml: its shell steps, as written, in a
fresh clone whose earlier stages' outputs come from the DVC remote, so that the two site
stages really run; the folder they build is the one dvc.lock names, to the byte.

The set-up step is the README's own (tests/test_docs.py runs it); the upload and the
deployment are GitHub's actions, checked here to publish the folder the steps built.
"""

import subprocess
from pathlib import Path

import pytest
import yaml
from support.repos import environment, run

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'

WORKFLOW = Path(__file__).parents[1] / ".github" / "workflows" / "pages.yml"


def build_steps() -> list[dict]:
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]["build"]["steps"]


def locked_md5(repo: Path, stage: str) -> str:
    return yaml.safe_load((repo / "dvc.lock").read_text())["stages"][stage]["outs"][0]["md5"]


def test_the_steps_not_run_here_are_the_readmes_set_up_and_githubs_publishing() -> None:
    steps = build_steps()
    scripts = {step["name"]: step["run"] for step in steps if "run" in step}
    assert scripts["Set up as the README does"] == "pip install -q -c constraints.txt -e ."
    [upload] = [step for step in steps if step.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert upload["with"]["path"] == "models/site"
    deploy = yaml.safe_load(WORKFLOW.read_text())["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")


def test_the_steps_build_the_site_that_dvc_lock_names(trained_repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    run(tmp_path, "git", "clone", "-q", str(trained_repo), str(clone))
    run(clone, "dvc", "pull", "-q", "--with-deps", "export")
    assert not (clone / "models" / "site").exists()
    scripts = {step["name"]: step["run"] for step in build_steps() if "run" in step}
    for name in ("Build the site", "Check the site"):
        result = subprocess.run(["bash", "-e", "-c", scripts[name]], cwd=clone, env=environment(),
                                capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0, f"{name}:\n{result.stdout}\n{result.stderr}"
        if name == "Build the site":
            assert "Running stage 'site_runtime'" in result.stdout and "Running stage 'site'" in result.stdout
            assert "Running stage 'train'" not in result.stdout
    for stage in ("site_runtime", "site"):
        assert locked_md5(clone, stage) == locked_md5(trained_repo, stage), stage
