"""The static site (models/site/, the site stage's output) in a real browser: Debian's
Chromium, driven by Selenium, on the folder served by `python -m http.server`, as a
teacher would try it before publishing it: no special headers, so onnxruntime-web runs
on one thread.

A 7 drawn with the mouse reads 7; each sample digit and 60 varied images uploaded read
what mlp-predict reads, from an input within 1/255 of Python's (the same, in fact, to the
bit); bad files and a blank drawing get one line and the page keeps working; every
request goes to the page's own origin; and a phone-sized window lays it out usably
(MLP_SITE_SCREENSHOT=PATH keeps its screenshot: tests/screenshots/site-phone.png
was taken so).
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from support.browser import CHROMEDRIVER, CHROMIUM, MISSING, chromium
from support.ports import free_port, listening
from support.repos import environment
from support.varied_images import write_varied_images
from support.waiting import eventually

from numpy_mlp_mnist.files import read_npy
from numpy_mlp_mnist.images import read_image, to_mnist

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'

webdriver = pytest.importorskip(
    "selenium.webdriver", reason='Selenium is part of the test extra: pip install -e ".[test]"'
)
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip(MISSING, allow_module_level=True)
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

SAMPLES = ("seven.png", "four.jpg", "one.png")
VARIED = 60
ONLY_LOOPBACK = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


@pytest.fixture(scope="module")
def site(trained_repo: Path) -> Iterator[str]:
    """The site folder served as a teacher would try it: `python -m http.server`."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", "models/site"],
        cwd=trained_repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    address = f"http://127.0.0.1:{port}/"
    try:
        eventually(lambda: listening(port), "the server", 10)
        yield address
    finally:
        server.terminate()
        server.wait(timeout=10)


def open_page(driver: webdriver.Chrome, address: str) -> None:
    driver.get(address)
    eventually(lambda: driver.execute_script("return document.body.dataset.ready"), "the network loaded", 30)


@pytest.fixture(scope="module")
def browser(site: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    # Every host but the page's own is unresolvable: a request elsewhere would fail, and is
    # looked for below besides.
    driver = chromium(
        tmp_path_factory.mktemp("chromium"), "--window-size=1280,1000", ONLY_LOOPBACK
    )  # fmt: skip
    try:
        open_page(driver, site)
        yield driver
    finally:
        driver.quit()


def shown(driver: webdriver.Chrome) -> dict:
    """What the page shows: the prediction, the probabilities, the hidden activations, the
    28x28 input it read, and its status line."""
    return driver.execute_script(
        """const seen = document.getElementById('seen').dataset.pixels;
        return {
            digit: document.getElementById('prediction').dataset.digit,
            probabilities: [...document.querySelectorAll('#bars .bar')].map(b => Number(b.dataset.p)),
            hidden: [...document.querySelectorAll('#layers .unit')].map(u => Number(u.dataset.activation)),
            pixels: seen ? JSON.parse(seen) : null,
            status: document.getElementById('status').textContent,
        };"""
    )


def upload(driver: webdriver.Chrome, path: Path) -> dict:
    """`path` uploaded through the page's file input; what the page then shows."""
    driver.execute_script("document.getElementById('status').textContent = 'waiting';")
    driver.find_element(By.ID, "upload").send_keys(str(path.resolve()))
    eventually(lambda: shown(driver)["status"] != "waiting", f"the page's answer to {path.name}", 20)
    return shown(driver)


def drag(driver: webdriver.Chrome, *points: tuple[int, int]) -> None:
    """One stroke with the mouse through `points`, in the pad's pixels from its top left."""
    pad = driver.find_element(By.ID, "pad")
    side = pad.size["width"]
    chain = ActionChains(driver, duration=20)
    x, y = points[0]
    chain.move_to_element_with_offset(pad, x - side // 2, y - side // 2).click_and_hold()
    for next_x, next_y in points[1:]:
        chain.move_by_offset(next_x - x, next_y - y)
        x, y = next_x, next_y
    chain.release().perform()


def test_a_drawn_seven_reads_seven_and_clear_empties_the_page(browser: webdriver.Chrome) -> None:
    browser.find_element(By.ID, "clear").click()
    drag(browser, (60, 55), (140, 55), (215, 55))
    drag(browser, (215, 55), (165, 150), (115, 240))
    eventually(lambda: shown(browser)["digit"] == "7", "the prediction 7", 20)
    seven = shown(browser)
    assert sum(seven["probabilities"]) == pytest.approx(1, abs=1e-5)
    assert max(seven["probabilities"]) == seven["probabilities"][7]
    assert any(seven["hidden"]) and len(seven["pixels"]) == 784

    browser.find_element(By.ID, "clear").click()
    cleared = shown(browser)
    assert cleared["digit"] == "" and not any(cleared["probabilities"]) and not any(cleared["hidden"])


def mlp_predict(repo: Path, images: list[Path]) -> dict[Path, str]:
    """The digit `mlp-predict` reads in each image, with `repo`'s model, as a user runs it."""
    result = subprocess.run(
        ["mlp-predict", "--model", str(repo / "models" / "model.npz"), *map(str, images)],
        env=environment(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert len(lines) == len(images), result.stdout
    return {image: line.removeprefix(f"{image}: ")[0] for image, line in zip(images, lines, strict=True)}


def test_each_sample_digit_reads_what_mlp_predict_reads(
    browser: webdriver.Chrome, trained_repo: Path
) -> None:
    samples = [trained_repo / "data" / "digits" / name for name in SAMPLES]
    predicted = mlp_predict(trained_repo, samples)
    vectors = json.loads((trained_repo / "models" / "onnx_test_vectors.json").read_text())["images"]
    for sample, vector in zip(samples, vectors, strict=True):
        page = upload(browser, sample)
        pixels = np.array(vector["pixels"], dtype=np.float32).reshape(-1)
        assert np.array_equal(np.float32(page["pixels"]), pixels), f"{sample.name}: not its test vector"
        assert page["digit"] == str(vector["digit"]) == predicted[sample]
        assert page["probabilities"] == pytest.approx(vector["probabilities"], abs=1e-5)


def test_varied_images_read_as_mlp_predict_reads_them(
    browser: webdriver.Chrome, trained_repo: Path, tmp_path: Path
) -> None:
    """Sizes, both polarities, off-centre, noisy and photographed, PNG and JPEG: the
    page's 28x28 input is within 1/255 of Python's on each (and is in fact the same), and
    it reads the digit mlp-predict reads."""
    prepared = trained_repo / "data" / "prepared"
    files = write_varied_images(
        read_npy(prepared / "test_images.npy"), read_npy(prepared / "test_labels.npy"), tmp_path, VARIED
    )
    predicted = mlp_predict(trained_repo, list(files))
    largest, same = 0.0, 0
    for path in files:
        python = to_mnist(read_image(path), str(path))
        page = upload(browser, path)
        difference = float(np.abs(np.float32(page["pixels"]) - python).max())
        assert difference <= 1 / 255, f"{path.name}: the page's input differs from Python's by {difference}"
        assert page["digit"] == predicted[path], path.name
        largest, same = max(largest, difference), same + (difference == 0)
    print(f"{len(files)} varied images: {same} the same to the bit, largest difference {largest}")


@pytest.mark.parametrize(
    ("content", "name", "line"),
    [
        (b"not an image at all", "notes.png",
         "notes.png: not a PNG or JPEG image, or a damaged one; expected a whole PNG or JPEG"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + (9000).to_bytes(4, "big") * 2 + b"\0" * 40, "huge.png",
         "huge.png: 9000x9000 pixels is too large; expected at most 25000000 pixels"),
        (b"\xff\xd8\xff" + b"\0" * (20 * 2**20), "heavy.jpg",
         "heavy.jpg: 20971523 bytes is too large; expected an image of at most 20971520 bytes"),
        (b"", "empty.png", "empty.png: empty file; expected a PNG or JPEG image"),
    ],
    ids=["not an image", "too many pixels", "too many bytes", "empty"],
)  # fmt: skip
def test_a_bad_file_gets_one_line_and_the_page_keeps_working(
    browser: webdriver.Chrome, trained_repo: Path, tmp_path: Path, content: bytes, name: str, line: str
) -> None:
    (tmp_path / name).write_bytes(content)
    assert upload(browser, tmp_path / name)["status"] == line
    assert upload(browser, trained_repo / "data" / "digits" / "seven.png")["digit"] == "7"


def test_a_blank_image_and_a_blank_drawing_get_one_line(browser: webdriver.Chrome, tmp_path: Path) -> None:
    from PIL import Image

    Image.new("L", (64, 64), 255).save(tmp_path / "blank.png")
    blank = upload(browser, tmp_path / "blank.png")
    assert blank["status"] == "blank.png: no digit found (the image is blank)"
    browser.find_element(By.ID, "clear").click()
    browser.find_element(By.ID, "read").click()
    eventually(lambda: shown(browser)["status"] != "", "the line for a blank drawing", 10)
    page = shown(browser)
    assert page["status"] == "your drawing is blank: draw a digit, 0 to 9, in the black square"
    assert page["digit"] == ""
    drag(browser, (140, 40), (140, 140), (140, 245))
    eventually(lambda: shown(browser)["digit"] == "1", "the prediction 1 after the blank drawing", 20)


def test_every_request_goes_to_the_pages_own_origin(browser: webdriver.Chrome, site: str) -> None:
    open_page(browser, site)
    requested = browser.execute_script(
        "return [location.href, ...performance.getEntriesByType('resource').map(e => e.name)]"
    )
    assert len(requested) >= 6, requested  # the page, its modules, the model, the units, the runtime
    assert all(url.startswith(site) for url in requested), requested
    assert any(url.endswith(".wasm") for url in requested), requested


def test_a_phone_sized_window_lays_it_out_usably(site: str, tmp_path: Path) -> None:
    """A 390x844 window (a common phone): nothing wider than the screen, the pad and the
    reading within reach, and a 7 drawn there still reads 7."""
    driver = chromium(tmp_path / "profile", "--window-size=390,844", ONLY_LOOPBACK)
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True,
        })  # fmt: skip
        open_page(driver, site)
        layout = driver.execute_script(
            """const box = id => document.getElementById(id).getBoundingClientRect();
            return {page: document.documentElement.scrollWidth, window: window.innerWidth,
                    height: window.innerHeight, pad: box('pad').right,
                    prediction: box('prediction').bottom};"""
        )
        assert layout["page"] <= layout["window"], layout  # no sideways scrolling
        assert layout["pad"] <= layout["window"]
        assert layout["prediction"] <= layout["height"], "the reading is below the fold"
        drag(driver, (50, 45), (120, 45), (185, 45))
        drag(driver, (185, 45), (140, 130), (100, 210))
        eventually(lambda: shown(driver)["digit"] == "7", "the prediction 7 on a phone", 20)
        time.sleep(0.3)
        screenshot = driver.get_screenshot_as_png()
        assert screenshot.startswith(b"\x89PNG")
        if os.environ.get("MLP_SITE_SCREENSHOT"):
            Path(os.environ["MLP_SITE_SCREENSHOT"]).write_bytes(screenshot)
    finally:
        driver.quit()
