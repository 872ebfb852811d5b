"""How live mlp-draw is: the time of one update, from the drawing to the answer.

    python -m benchmarks.draw [--model models/model.npz] [--repeats 200]

Times, as medians over --repeats, with the 95th percentile beside them: the network's
forward pass on one image; the server's whole reading of a drawing (decoding the PNG,
putting it into MNIST's form, the forward pass); and the round trip of the page's
request to a real `mlp-draw` process on 127.0.0.1, from sending the JSON to having
parsed the answer. The drawing is a 280x280 canvas holding a 7, as the page sends it.
"""

import argparse
import base64
import io
import json
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from mlp.losses import softmax
from numpy_mlp_mnist import layout
from numpy_mlp_mnist.commands.draw import read_drawing
from numpy_mlp_mnist.model_file import load_model

REPO = Path(__file__).resolve().parent.parent


def canvas_with_a_seven() -> bytes:
    """A drawing as the page sends it: white strokes 20 pixels wide on a black 280x280 canvas."""
    canvas = Image.new("RGBA", (280, 280), "black")
    ImageDraw.Draw(canvas).line([(60, 55), (215, 55), (115, 240)], fill="white", width=20, joint="curve")
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


def timed(action: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median and 95th percentile of `action`'s time, in milliseconds, after a warm-up."""
    for _ in range(10):
        action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=layout.MODEL_PATH)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()

    model = load_model(args.model)
    png = canvas_with_a_seven()
    X = np.zeros((1, model.weights[0].shape[0]), dtype=model.weights[0].dtype)
    body = json.dumps({"image": "data:image/png;base64," + base64.b64encode(png).decode()}).encode()

    server = subprocess.Popen(
        [sys.executable, "-m", "numpy_mlp_mnist.commands.draw", "--port", "0", "--model", str(args.model)],
        stdout=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        url = server.stdout.readline().split(" at ")[1].split()[0] + "api/read"

        def round_trip() -> dict:
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())

        assert round_trip()["digit"] == 7
        rows = {
            "forward pass (hidden layer and probabilities)": timed(
                lambda: softmax(model.output(model.hidden(X)[-1])), args.repeats
            ),
            "the server's reading (PNG, MNIST's form, forward)": timed(
                lambda: read_drawing(model, png), args.repeats
            ),
            "round trip of the page's request on 127.0.0.1": timed(round_trip, args.repeats),
        }
    finally:
        server.send_signal(signal.SIGTERM)  # as Ctrl-C, and it arrives whatever this process inherited
        server.communicate(timeout=30)

    print(
        f"{args.repeats} updates each, one 280x280 drawing "
        f"({len(png):,} bytes as PNG, {len(body):,} as JSON):\n"
    )
    print("| step | median ms | 95th percentile ms |")
    print("|---|---|---|")
    for name, (median, p95) in rows.items():
        print(f"| {name} | {median:.2f} | {p95:.2f} |")


if __name__ == "__main__":
    main()
