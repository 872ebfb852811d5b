"""A lab as a learner opens it: JupyterLab served from this machine, the lab opened as a
notebook in Debian's Chromium and run from the top. Its numbers appear, its controls are
drawn by ipywidgets' front end, and nothing reaches past the machine: the browser's every
request goes to the JupyterLab server, and that server and its kernel, refused any other
connection by labs/offline/, record none."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from support.browser import CHROMEDRIVER, CHROMIUM, MISSING, chromium
from support.ports import free_port, listening
from support.repos import clone_with_outputs
from support.waiting import eventually

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip(MISSING, allow_module_level=True)

TOKEN = "lab-test-token"
LAB = "labs/07_loss.py"
CLAIM = "mae with floor 0.24, validation accuracy after 300 steps = "
CONTROLS = "return document.querySelectorAll('.widget-slider, .widget-dropdown').length"


@pytest.fixture
def jupyterlab(trained_repo: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """JupyterLab on 127.0.0.1 in a clone with the pipeline's outputs, as a learner starts
    it; the URL, and the file where any connection past the machine is written."""
    clone = clone_with_outputs(trained_repo, tmp_path / "clone")
    port, home, network_log = free_port(), tmp_path / "home", tmp_path / "network.log"
    env = os.environ | {
        "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / "data"), "PYTHONPATH": str(clone / "labs" / "offline"),
        "LABS_OFFLINE_LOG": str(network_log),
    }  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={clone}",
         "--LabApp.expose_app_in_browser=True", "--ServerApp.allow_root=True"],
        env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "server.log").open("w"),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        eventually(lambda: listening(port), "JupyterLab listening", 60)
        yield url, network_log
    finally:
        server.terminate()
        server.wait(timeout=30)


# JupyterLab may ask which kernel to start, as it asks a learner: the one the lab names.
ACCEPT_DIALOGS = "document.querySelectorAll('.jp-Dialog .jp-mod-accept').forEach(button => button.click())"


def wait_for(driver: object, script: str, seconds: float = 120) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        driver.execute_script(ACCEPT_DIALOGS)
        if found := driver.execute_script(script):
            return found
        time.sleep(0.5)
    if screenshot := os.environ.get("LABS_SCREENSHOT"):
        driver.save_screenshot(screenshot)
    pytest.fail(f"not seen within {seconds} s: {script}")


def test_a_lab_runs_in_jupyterlab_in_the_browser_with_nothing_past_the_machine(
    jupyterlab: tuple[str, Path], tmp_path: Path
) -> None:
    url, network_log = jupyterlab
    driver = chromium(
        tmp_path / "chromium", "--window-size=1400,1000",
        # Names resolve to nothing, so that a request past the machine fails here and is seen.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    )  # fmt: skip
    try:
        driver.get(f"{url}/lab?token={TOKEN}")
        wait_for(driver, "return !!window.jupyterapp && !!document.querySelector('.jp-LauncherCard')")
        open_as_notebook = f"{{path: '{LAB}', factory: 'Jupytext Notebook'}}"
        driver.execute_script(f"window.jupyterapp.commands.execute('docmanager:open', {open_as_notebook})")
        # The kernel started, idle, and no question open: run-all-cells would be lost before.
        ready = "return !document.querySelector('.jp-Dialog') && document.body.innerText.includes('| Idle')"
        wait_for(driver, ready)
        time.sleep(1)
        wait_for(driver, ready)
        driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        wait_for(driver, f"return document.body.innerText.includes('{CLAIM}')")
        assert wait_for(driver, CONTROLS, 30) == 3  # loss, learning rate and floor, drawn by ipywidgets
        requested = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        if screenshot := os.environ.get("LABS_SCREENSHOT"):
            driver.save_screenshot(screenshot)
    finally:
        driver.quit()
    hosts = {urlparse(address).hostname for address in requested}
    assert hosts == {"127.0.0.1"}, f"the page asked other hosts: {hosts}"
    assert not network_log.exists(), network_log.read_text()
