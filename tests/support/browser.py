"""Debian's Chromium, headless, driven by Selenium through Debian's ChromeDriver: the
browser tests' one way to start it."""

import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
MISSING = (
    "no Chromium and ChromeDriver to drive: as root, `apt-get install chromium chromium-driver` "
    "(.ci/run does so)"
)
# Headless, and quiet on this machine's closed network: without the background-networking
# flags Chromium tries Google's hosts at every start.
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
)  # fmt: skip


def chromium(user_data: Path, *flags: str) -> object:
    """A Chromium with a profile of its own in `user_data`, and `flags` besides."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={user_data}", *flags):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
