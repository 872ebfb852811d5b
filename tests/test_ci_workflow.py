"""The GitHub Actions job of .github/workflows/metrics.yml: its shell steps, as written, in a
scratch clone whose branch changes a param, against the main branch of a real `origin`.

Two steps are not run here, and checked instead to be what they claim: the set-up, which
is the README's own (tests/test_docs.py runs it) and would here reinstall this suite's
environment from the scratch clone; and the post, which needs GitHub's API.
"""

import subprocess
from pathlib import Path

import pytest
import yaml
from support.repos import clone_with_outputs, environment, run, update_params

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'

WORKFLOW = Path(__file__).parents[1] / ".github" / "workflows" / "metrics.yml"


def steps() -> dict[str, str]:
    """Each step's name and its shell script."""
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["metrics"]
    return {step["name"]: step["run"] for step in job["steps"] if "run" in step}


def test_the_steps_not_run_here_are_the_readmes_set_up_and_githubs_post() -> None:
    scripts = steps()
    assert scripts["Set up as the README does"] == "pip install -q -c constraints.txt -e ."
    assert scripts["Post the comparison on the pull request"].startswith("gh pr comment ")
    assert list(scripts)[1:3] == ["Reproduce the pipeline", "Compare with main"]


def test_the_workflows_steps_report_a_changed_param_and_its_metrics(
    trained_repo: Path, tmp_path: Path
) -> None:
    origin = tmp_path / "origin.git"
    run(tmp_path, "git", "clone", "-q", "--bare", str(trained_repo), str(origin))
    clone = clone_with_outputs(trained_repo, tmp_path / "pull-request")
    run(clone, "git", "remote", "set-url", "origin", str(origin))
    run(clone, "git", "checkout", "-q", "-b", "faster")
    update_params(clone / "params.yaml", lr=0.012)
    run(clone, "git", "commit", "-qam", "A larger step")
    scripts = steps()
    for name in ("Reproduce the pipeline", "Compare with main"):
        result = subprocess.run(["bash", "-e", "-c", scripts[name]], cwd=clone, env=environment(),
                                capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0, f"{name}:\n{result.stdout}\n{result.stderr}"
    report = (clone / "metrics-report.md").read_text()
    assert report.startswith("### Metrics against main\n| Path ")
    assert "| metrics/test.json       | accuracy " in report
    assert "| metrics/validation.json | accuracy " in report
    assert "### Params against main\n| Path        | Param   | origin/main   | workspace   |" in report
    assert "| params.yaml | lr      | 0.0085        | 0.012       |" in report
