"""`dvc plots show` draws every chart with no network: the page template in .dvc/plots/
carries Vega, and Debian's Chromium, cut off from any network, must find each chart drawn.
DVC's own page, which loads Vega from a CDN, draws none under the same conditions: the
test can tell them apart. Set PLOTS_SCREENSHOT=PATH to keep a screenshot of the page.
"""

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.browser import CHROMEDRIVER, CHROMIUM, MISSING, chromium
from support.repos import run

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'
webdriver = pytest.importorskip(
    "selenium.webdriver", reason='Selenium is part of the test extra: pip install -e ".[test]"'
)
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip(MISSING, allow_module_level=True)

CHARTS = 4  # the linear, bar and confusion plots of dvc.yaml; the two images are <img>s
DRAWN = "return document.querySelectorAll('.vega-embed .marks').length"  # a chart's own svg or canvas


@pytest.fixture(scope="module")
def offline_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    driver = chromium(
        tmp_path_factory.mktemp("chromium"), "--window-size=1400,2200",
        # No network: every name resolves to nothing and every request would go to a dead proxy.
        "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
    )  # fmt: skip
    try:
        yield driver
    finally:
        driver.quit()


def charts_drawn(driver: webdriver.Chrome, page: Path) -> int:
    driver.get(page.as_uri())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and driver.execute_script(DRAWN) < CHARTS:
        time.sleep(0.2)
    return driver.execute_script(DRAWN)


def test_plots_show_draws_every_chart_offline(
    trained_repo: Path, offline_browser: webdriver.Chrome, tmp_path: Path
) -> None:
    run(trained_repo, "dvc", "plots", "show", "-o", str(tmp_path / "plots"))
    page = tmp_path / "plots" / "index.html"
    assert "cdn.jsdelivr" not in page.read_text()
    assert charts_drawn(offline_browser, page) == CHARTS
    if screenshot := os.environ.get("PLOTS_SCREENSHOT"):
        offline_browser.save_screenshot(screenshot)


def test_dvcs_own_page_draws_nothing_offline(
    trained_repo: Path, offline_browser: webdriver.Chrome, tmp_path: Path
) -> None:
    cdn_template = tmp_path / "cdn.html"
    cdn_template.write_text("<html><head>{scripts}</head><body>{plot_divs}</body></html>")
    output = str(tmp_path / "plots")
    run(trained_repo, "dvc", "plots", "show", "-o", output, "--html-template", str(cdn_template))
    page = tmp_path / "plots" / "index.html"
    assert "cdn.jsdelivr" in page.read_text()
    assert charts_drawn(offline_browser, page) == 0
