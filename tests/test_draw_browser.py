"""mlp-draw in a real browser: Debian's Chromium, driven through chromium-driver by Selenium.

Real strokes are drawn on the canvas with the mouse (a 7 as two drags, then a 1), and
the page must show the prediction, probabilities that sum to 1, every hidden layer lit
(with one hidden layer, and with two), and a clean slate after Clear. Set MLP_DRAW_SCREENSHOT=PATH to keep the
screenshot of the drawn 7 (the README's picture was taken that way).
"""

import dataclasses
import itertools
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support.browser import CHROMEDRIVER, CHROMIUM, MISSING, chromium
from support.commands import address_of, start_draw
from support.waiting import eventually

from numpy_mlp_mnist.model_file import load_model
from numpy_mlp_mnist.params import load_params
from stages.train import Outputs, train

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'

webdriver = pytest.importorskip(
    "selenium.webdriver", reason='Selenium is part of the test extra: pip install -e ".[test]"'
)
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip(MISSING, allow_module_level=True)
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

PAD_SIDE = 280
REBOUND = "rebound.example"


@pytest.fixture(scope="module", params=[[30], [32, 16]], ids=["one hidden layer", "two hidden layers"])
def model_path(
    request: pytest.FixtureRequest, trained_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The pipeline's model, or one with two hidden layers trained the train stage's way."""
    if request.param == [30]:
        return trained_repo / "models" / "model.npz"
    params = dataclasses.replace(load_params(trained_repo / "params.yaml"), hidden=request.param)
    folder = tmp_path_factory.mktemp("two-layers")
    train(
        params,
        trained_repo / "data" / "prepared",
        Outputs(*(folder / name for name in ("m.npz", "h.csv", "v.json"))),
    )
    return folder / "m.npz"


@pytest.fixture(scope="module")
def browser(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    server = start_draw("--port", "0", "--model", str(model_path))
    # What a rebinding site's DNS does: its own name answered with 127.0.0.1.
    profile = tmp_path_factory.mktemp("chromium")
    driver = chromium(profile, "--window-size=1280,1000", f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1")
    try:
        driver.get(address_of(server))
        eventually(
            lambda: len(driver.find_elements(By.CSS_SELECTOR, "#layers .unit")) > 0, "the hidden units", 20
        )
        yield driver
    finally:
        driver.quit()
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)


def drag(driver: webdriver.Chrome, *points: tuple[int, int]) -> None:
    """One stroke with the mouse through `points`, in the pad's pixels from its top left."""
    pad = driver.find_element(By.ID, "pad")
    chain = ActionChains(driver, duration=20)
    x, y = points[0]
    chain.move_to_element_with_offset(pad, x - PAD_SIDE // 2, y - PAD_SIDE // 2).click_and_hold()
    for next_x, next_y in points[1:]:
        steps = 8
        for step in range(1, steps + 1):
            chain.move_by_offset(
                round(x + (next_x - x) * step / steps) - round(x + (next_x - x) * (step - 1) / steps),
                round(y + (next_y - y) * step / steps) - round(y + (next_y - y) * (step - 1) / steps),
            )
        x, y = next_x, next_y
    chain.release().perform()


def shown(driver: webdriver.Chrome) -> dict:
    """What the page shows: the prediction, the ten probabilities, the hidden activations."""
    return driver.execute_script(
        """return {
            digit: document.getElementById('prediction').dataset.digit,
            probabilities: [...document.querySelectorAll('#bars .bar')].map(b => Number(b.dataset.p)),
            hidden: [...document.querySelectorAll('#layers .unit')].map(u => Number(u.dataset.activation)),
            layers: [...document.querySelectorAll('#layers .units')].map(grid => grid.children.length),
            seen: Array.from(document.getElementById('seen').getContext('2d')
                .getImageData(0, 0, 28, 28).data).filter((v, i) => i % 4 === 0).reduce((a, b) => a + b, 0),
        };"""
    )


def layer_bounds(widths: list[int]) -> list[tuple[int, int]]:
    """Where each layer's units are in the page's flat list of units."""
    ends = list(itertools.accumulate(widths))
    return list(zip([0, *ends[:-1]], ends, strict=True))


def read_as(driver: webdriver.Chrome, digit: str) -> dict:
    eventually(lambda: shown(driver)["digit"] == digit, f"the prediction {digit}", 20)
    time.sleep(0.5)  # let the last request of the stroke land
    eventually(lambda: shown(driver)["digit"] == digit, f"the prediction {digit}", 20)
    return shown(driver)


def test_drawing_a_seven_then_clearing_then_a_one(browser: webdriver.Chrome, model_path: Path) -> None:
    before = shown(browser)
    assert before["digit"] == "" and not any(before["hidden"]) and before["seen"] == 0
    assert before["layers"] == load_model(model_path).widths

    drag(browser, (60, 55), (215, 55))
    drag(browser, (215, 55), (115, 240))
    seven = read_as(browser, "7")
    assert sum(seven["probabilities"]) == pytest.approx(1, abs=1e-3)
    assert max(seven["probabilities"]) == seven["probabilities"][7]
    assert any(seven["hidden"]) and seven["seen"] > 0
    assert all(any(seven["hidden"][start:stop]) for start, stop in layer_bounds(before["layers"])), (
        "a layer stayed dark"
    )
    screenshot = browser.get_screenshot_as_png()
    assert screenshot.startswith(b"\x89PNG")
    if os.environ.get("MLP_DRAW_SCREENSHOT") and len(before["layers"]) == 1:
        Path(os.environ["MLP_DRAW_SCREENSHOT"]).write_bytes(screenshot)

    browser.find_element(By.ID, "clear").click()
    cleared = shown(browser)
    assert cleared["digit"] == "" and not any(cleared["probabilities"])
    assert not any(cleared["hidden"]) and cleared["seen"] == 0

    drag(browser, (140, 40), (140, 245))
    one = read_as(browser, "1")
    assert sum(one["probabilities"]) == pytest.approx(1, abs=1e-3)
    assert one["hidden"] != seven["hidden"]


def test_a_site_that_rebinds_its_name_to_the_server_is_refused(browser: webdriver.Chrome) -> None:
    """DNS rebinding as the browser meets it: a site whose name now resolves to 127.0.0.1
    gets the server's 403, not the page, the weights or a reading."""
    page = browser.current_url
    port = urlsplit(page).port
    for path in ("/", "/api/units"):
        browser.get(f"http://{REBOUND}:{port}{path}")
        body = browser.find_element(By.TAG_NAME, "body").text
        assert f"this server does not answer to host '{REBOUND}'" in body and "pictures" not in body
    browser.get(page)
    eventually(
        lambda: len(browser.find_elements(By.CSS_SELECTOR, "#layers .unit")) > 0, "the hidden units", 20
    )
