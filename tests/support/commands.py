"""mlp-predict and mlp-draw as a user runs them, in processes of their own, their answers
read; and a model file's network run by hand, with nothing of `mlp`, to check them."""

import base64
import io
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

from support.repos import REPO, environment
from support.signals import ctrl_c_reaches_it

DIGITS = REPO / "data" / "digits"


def start_draw(*arguments: str, cwd: Path = REPO) -> subprocess.Popen:
    """`mlp-draw ARGUMENTS`, Ctrl-C able to reach it; address_of() reads where it listens."""
    return subprocess.Popen(
        [sys.executable, "-m", "numpy_mlp_mnist.commands.draw", *arguments], cwd=cwd, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=environment(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1"), preexec_fn=ctrl_c_reaches_it,
    )  # fmt: skip


def address_of(server: subprocess.Popen) -> str:
    line = server.stdout.readline()
    match = re.search(r"at (http://\S+/) \(Ctrl-C stops it\)", line)
    assert match, (
        f"no address in {line!r}; stderr: {server.stderr.read() if server.poll() is not None else ''}"
    )
    return match[1]


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict]:
    request = urllib.request.Request(url + "api/read", data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def drawing(png: bytes) -> bytes:
    return json.dumps({"image": "data:image/png;base64," + base64.b64encode(png).decode()}).encode()


def run_predict(folder: Path, *arguments: Path | str) -> subprocess.CompletedProcess:
    """`mlp-predict ARGUMENTS` run in `folder`."""
    return subprocess.run(
        [sys.executable, "-m", "numpy_mlp_mnist.commands.predict", *map(str, arguments)],
        cwd=folder, capture_output=True, text=True,
        env=environment(PYTHONPATH=str(REPO)),
    )  # fmt: skip


def by_hand(model: np.lib.npyio.NpzFile, X: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Each hidden layer's activations and the softmax probabilities, written out from a
    model file's arrays (leaky ReLU, as the defaults have) and nothing of `mlp`."""
    n_layers = sum(name.startswith("W") for name in model.files)
    slope = float(model["leaky_slope"])
    activations = [X]
    for layer in range(1, n_layers):
        z = activations[-1] @ model[f"W{layer}"] + model[f"b{layer}"]
        activations.append(np.where(z > 0, z, slope * z))
    z = activations[-1] @ model[f"W{n_layers}"] + model[f"b{n_layers}"]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return activations[1:], p / p.sum(axis=1, keepdims=True)
