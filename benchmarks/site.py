"""What the static site costs a visitor: its size, and the time to its first prediction.

    python -m benchmarks.site [--site models/site] [--loads 5]

The folder's size, file by file. Then --loads cold loads of the page in headless
Chromium (a new profile each, so nothing is cached), served from 127.0.0.1 by
`python -m http.server` as docs/site.md tells a teacher to try it: the time from the
start of navigation to the network being ready (the model and the runtime fetched and
compiled), and to the first prediction shown, a 7 drawn on the pad as soon as it is
ready. Medians, with the range beside them. Needs Chromium and ChromeDriver, as the
browser tests do.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from numpy_mlp_mnist import layout
from tests.support.browser import chromium
from tests.support.ports import free_port, listening

# A 7 in two strokes, drawn on the pad's context and read at once, as the page's Read button does.
DRAW_A_SEVEN = """
const ink = document.getElementById('pad').getContext('2d');
ink.strokeStyle = 'white'; ink.lineWidth = 20; ink.lineCap = 'round';
ink.beginPath(); ink.moveTo(60, 55); ink.lineTo(215, 55); ink.lineTo(115, 240); ink.stroke();
document.getElementById('read').click();
"""


def folder_sizes(site: Path) -> dict[str, int]:
    return {
        str(path.relative_to(site)): path.stat().st_size for path in sorted(site.rglob("*")) if path.is_file()
    }


def one_load(address: str) -> tuple[float, float]:
    """Milliseconds from navigation to ready, and to the first prediction, in a cold browser."""
    with tempfile.TemporaryDirectory() as profile:
        driver = chromium(Path(profile), "--window-size=1280,1000")
        try:
            driver.get(address)
            deadline = time.monotonic() + 60
            while not driver.execute_script("return document.body.dataset.ready"):
                if time.monotonic() > deadline:
                    raise SystemExit("error: the page never became ready")
                time.sleep(0.005)
            driver.execute_script(DRAW_A_SEVEN)
            while not driver.execute_script("return document.body.dataset.firstPrediction"):
                time.sleep(0.005)
            ready, first = driver.execute_script(
                "return [document.body.dataset.ready, document.body.dataset.firstPrediction]"
            )
            return float(ready), float(first)
        finally:
            driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=layout.SITE_PATH)
    parser.add_argument("--loads", type=int, default=5)
    options = parser.parse_args()
    if not (options.site / "index.html").is_file():
        raise SystemExit(f"error: {options.site}: no site here; run `dvc repro site` to build it")

    sizes = folder_sizes(options.site)
    print(f"site: {options.site}, {len(sizes)} files, {sum(sizes.values()):,} bytes")
    for name, size in sizes.items():
        print(f"  {size:>12,}  {name}")

    port = free_port()
    serve = [
        sys.executable,
        "-m",
        "http.server",
        str(port),
        "--bind",
        "127.0.0.1",
        "--directory",
        str(options.site),
    ]
    server = subprocess.Popen(serve, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not listening(port):
            if time.monotonic() > deadline:
                raise SystemExit("error: python -m http.server did not start")
            time.sleep(0.05)
        loads = [one_load(f"http://127.0.0.1:{port}/") for _ in range(options.loads)]
    finally:
        server.terminate()
        server.wait(timeout=10)
    for label, times in (("ready", [r for r, _ in loads]), ("first prediction", [f for _, f in loads])):
        print(
            f"{label:>16}: median {statistics.median(times):6.0f} ms "
            f"(range {min(times):.0f}-{max(times):.0f}, {len(times)} cold loads)"
        )


if __name__ == "__main__":
    main()
