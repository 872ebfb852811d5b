"""mlp-draw's server, over real HTTP on 127.0.0.1: good drawings, every kind of bad request,
concurrency, and how it starts and stops."""

import base64
import io
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support.commands import DIGITS, address_of, drawing, png_bytes, post, start_draw
from support.repos import REPO, environment
from support.signals import ctrl_c_ignored
from support.waiting import eventually

from numpy_mlp_mnist.commands.draw import MAX_CONNECTIONS, REQUEST_DEADLINE, DrawServer
from numpy_mlp_mnist.commands.draw_hosts import HostPolicy
from numpy_mlp_mnist.commands.predict import predict
from numpy_mlp_mnist.model_file import load_model


@pytest.fixture(scope="module")
def model_path(trained_repo: Path) -> Path:
    return trained_repo / "models" / "model.npz"


@pytest.fixture(scope="module")
def url(model_path: Path) -> Iterator[str]:
    server = start_draw("--port", "0", "--model", str(model_path))
    try:
        yield address_of(server)
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)


def raw_request(url: str, request: bytes) -> str:
    """The status line a request sent byte for byte over a socket gets back."""
    host, port = re.match(r"http://([^:/]+):(\d+)/", url).groups()
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(request)
        return connection.recv(65536).decode("latin-1").splitlines()[0]


def test_the_page_is_served_whole_and_loads_nothing_from_elsewhere(url: str) -> None:
    with urllib.request.urlopen(url, timeout=30) as response:
        page = response.read().decode()
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<canvas id="pad"' in page and "/api/read" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "the page must work offline"
    assert "@import" not in page and "fonts.googleapis" not in page


def test_the_units_come_with_their_weight_pictures(url: str, model_path: Path) -> None:
    with urllib.request.urlopen(url + "api/units", timeout=30) as response:
        units = json.loads(response.read())
    model = load_model(model_path)
    assert units["widths"] == model.widths
    assert len(units["pictures"]) == model.widths[0]
    first = base64.b64decode(units["pictures"][0].removeprefix("data:image/png;base64,"))
    with Image.open(io.BytesIO(first)) as picture:
        assert picture.size == (56, 56)


def test_a_drawing_is_read_exactly_as_mlp_predict_reads_the_same_image(url: str, model_path: Path) -> None:
    image = DIGITS / "seven.png"
    status, answer = post(url, drawing(image.read_bytes()))
    assert status == 200, answer
    [expected] = predict(model_path, [image])
    assert answer["digit"] == expected.digit == 7
    assert max(answer["probabilities"]) == pytest.approx(expected.probability, abs=1e-5)
    assert sum(answer["probabilities"]) == pytest.approx(1, abs=1e-4)
    model = load_model(model_path)
    assert len(answer["pixels"]) == 784 and [len(layer) for layer in answer["hidden"]] == model.widths
    hidden = model.hidden(np.array([answer["pixels"]], dtype=np.float32))
    for shown, computed in zip(answer["hidden"], hidden, strict=True):
        np.testing.assert_allclose(shown, computed[0], atol=0.02)


BLACK_CANVAS = png_bytes(Image.new("L", (280, 280)))
BAD_REQUESTS = {
    "malformed JSON": (b'{"image": ', 400, "the body is not JSON"),
    "JSON without an image": (b'{"picture": "x"}', 400, "expected a JSON object"),
    "a list, not an object": (b"[1, 2]", 400, "expected a JSON object"),
    "bad base64": (b'{"image": "not base64!"}', 400, "image is not base64"),
    "not an image": (drawing(b"GIF89a or some text"), 400, "not a PNG or JPEG image"),
    "an empty canvas": (drawing(BLACK_CANVAS), 422, "no digit found (the image is blank)"),
    "too small": (
        drawing(png_bytes(Image.new("L", (10, 10), 255))),
        400,
        "10x10 pixels; expected 28 to 1024",
    ),
    "too large": (
        drawing(png_bytes(Image.new("L", (2000, 300)))),
        400,
        "2000x300 pixels; expected 28 to 1024",
    ),
    "a decompression bomb": (
        drawing(png_bytes(Image.new("1", (15000, 15000)))),
        400,
        "the drawing: 225000000 pixels is too large; expected at most 25000000 pixels",
    ),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_a_bad_drawing_gets_a_4xx_and_a_short_message_and_the_server_keeps_serving(
    url: str, case: str
) -> None:
    body, expected_status, message = BAD_REQUESTS[case]
    status, answer = post(url, body)
    assert status == expected_status
    assert message in answer["error"] and len(answer["error"]) < 200
    assert post(url, drawing((DIGITS / "one.png").read_bytes()))[1]["digit"] == 1


def test_a_huge_body_is_refused_before_it_is_read(url: str) -> None:
    headers = b"POST /api/read HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500000000\r\n\r\n"
    assert raw_request(url, headers + b'{"image": "').startswith("HTTP/1.0 413")
    assert post(url, drawing((DIGITS / "one.png").read_bytes()))[0] == 200


def test_a_body_without_a_length_and_unknown_pages_are_refused(url: str) -> None:
    assert raw_request(url, b"POST /api/read HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").startswith("HTTP/1.0 411")
    assert raw_request(url, b"GET /etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").startswith("HTTP/1.0 404")
    units = b"POST /api/units HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    assert raw_request(url, units).startswith("HTTP/1.0 404")
    assert raw_request(url, b"PUT / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").startswith("HTTP/1.0 405")
    assert raw_request(url, b"GET / HTTP/9.9\r\n\r\n").startswith("HTTP/1.0 505")


def test_concurrent_drawings_are_all_answered(url: str) -> None:
    bodies = [drawing((DIGITS / name).read_bytes()) for name in ("seven.png", "one.png", "four.jpg")]
    answers: list[int] = []

    def client(index: int) -> None:
        for _ in range(5):
            answers.append(post(url, bodies[index % 3])[1]["digit"])

    threads = [threading.Thread(target=client, args=(index,)) for index in range(9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == sorted([7, 1, 4] * 15)


def test_ctrl_c_and_sigterm_stop_it_cleanly(model_path: Path) -> None:
    for stop in (signal.SIGINT, signal.SIGTERM):
        server = start_draw("--port", "0", "--model", str(model_path))
        url = address_of(server)
        assert post(url, drawing((DIGITS / "one.png").read_bytes()))[0] == 200
        server.send_signal(stop)
        out, err = server.communicate(timeout=30)
        assert server.returncode == 0, err
        assert out == "mlp-draw: stopped\n" and err == ""


def test_started_with_sigint_ignored_it_keeps_ignoring_it_and_sigterm_stops_it(model_path: Path) -> None:
    """`mlp-draw &` in a script: the shell asked for Ctrl-C to pass it by, as Python honours."""
    server = subprocess.Popen(
        [sys.executable, "-m", "numpy_mlp_mnist.commands.draw", "--port", "0", "--model", str(model_path)],
        cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=ctrl_c_ignored,
        env=environment(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1"),
    )  # fmt: skip
    url = address_of(server)
    server.send_signal(signal.SIGINT)
    time.sleep(1)
    assert server.poll() is None and post(url, drawing((DIGITS / "one.png").read_bytes()))[0] == 200
    server.send_signal(signal.SIGTERM)
    out, err = server.communicate(timeout=30)
    assert (server.returncode, out, err) == (0, "mlp-draw: stopped\n", "")


def test_another_address_than_loopback_comes_with_a_warning(model_path: Path) -> None:
    server = start_draw("--port", "0", "--host", "127.0.0.2", "--model", str(model_path))
    try:
        address_of(server)
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
    assert err.startswith("warning: listening on 127.0.0.2: anyone who can reach port ")


def failure(*arguments: str, cwd: Path = REPO) -> list[str]:
    server = start_draw(*arguments, cwd=cwd)
    out, err = server.communicate(timeout=60)
    assert server.returncode == 2 and out == ""
    return err.splitlines()


def test_a_port_in_use_ends_in_one_line(model_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert failure("--port", str(port), "--model", str(model_path)) == [
            f"error: cannot listen on 127.0.0.1 port {port} (Address already in use); "
            "choose another with --port N"
        ]


def test_a_missing_or_malformed_model_ends_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.npz"
    assert failure("--port", "0", "--model", str(missing)) == [
        f"error: {missing}: file not found; run `dvc repro` to make it"
    ]
    picture = tmp_path / "model.npz"
    picture.write_bytes(png_bytes(Image.new("L", (28, 28))))
    [line] = failure("--port", "0", "--model", str(picture))
    assert line.startswith(f"error: {picture}: not an .npz archive")
    [line] = failure("--port", "0", cwd=tmp_path)
    assert "is not inside the pipeline's repository" in line


def threads_of(server: subprocess.Popen) -> int:
    status = Path(f"/proc/{server.pid}/status").read_text()
    return int(re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE)[1])


@contextmanager
def own_server(model_path: Path) -> Iterator[tuple[subprocess.Popen, str, tuple[str, int]]]:
    """A fresh mlp-draw for one test, which must stop cleanly having printed nothing else."""
    server = start_draw("--port", "0", "--model", str(model_path))
    url = address_of(server)
    host, port = re.match(r"http://([^:/]+):(\d+)/", url).groups()
    try:
        yield server, url, (host, int(port))
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert err == "" and out == "mlp-draw: stopped\n"


def test_clients_that_stall_or_leave_mid_body_cost_nothing_visible(model_path: Path) -> None:
    header = b"POST /api/read HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n"
    stalled = []
    with own_server(model_path) as (server, url, address):
        assert post(url, drawing((DIGITS / "one.png").read_bytes()))[0] == 200  # whatever starts lazily has
        time.sleep(0.5)
        resting = threads_of(server)
        try:
            for index in range(100):
                connection = socket.create_connection(address, timeout=30)
                if index % 4 == 0:  # headers, one byte of the body, gone
                    connection.sendall(header + b"{")
                    connection.close()
                elif index % 4 == 1:  # half the headers, gone
                    connection.sendall(header[:20])
                    connection.close()
                elif index % 4 == 2:  # headers and one byte, then nothing more
                    connection.sendall(header + b"{")
                    stalled.append(connection)
                else:  # connected, then silent
                    stalled.append(connection)
            # The stalled ones hold threads until the deadline; the rest were let go at once.
            eventually(lambda: threads_of(server) >= resting + len(stalled), "a thread for each client", 5)
            time.sleep(REQUEST_DEADLINE)
            eventually(lambda: threads_of(server) == resting, "the threads back at rest", 5)
            for connection in stalled:  # the server has closed its side
                assert connection.recv(1) == b""
            status, answer = post(url, drawing((DIGITS / "seven.png").read_bytes()))
            assert status == 200 and answer["digit"] == 7
        finally:
            for connection in stalled:
                connection.close()


def test_past_its_bound_of_connections_the_server_answers_busy(model_path: Path) -> None:
    with own_server(model_path) as (_, url, address):
        held = [socket.create_connection(address, timeout=30) for _ in range(MAX_CONNECTIONS)]
        try:
            # Once the server has taken up all the held connections, the next one is turned away.
            deadline = time.monotonic() + 10
            while True:
                try:
                    urllib.request.urlopen(url, timeout=30).close()
                except urllib.error.HTTPError as refused:
                    assert refused.code == 503
                    assert json.loads(refused.read()) == {"error": "the server is busy; try again"}
                    break
                assert time.monotonic() < deadline, "the server never ran out of slots"
                time.sleep(0.05)
            held.pop().close()  # a slot is freed as soon as its client leaves
            deadline = time.monotonic() + 10
            while post(url, drawing((DIGITS / "one.png").read_bytes()))[0] == 503:
                assert time.monotonic() < deadline, "the freed slot was never reused"
                time.sleep(0.05)
        finally:
            for connection in held:
                connection.close()


def test_a_fault_of_the_server_is_one_line_and_a_500(
    model_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    model = load_model(model_path)
    server = DrawServer(("127.0.0.1", 0), model, HostPolicy("127.0.0.1"))
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/"
    try:
        monkeypatch.setattr(type(model), "hidden", lambda self, X: 1 / 0)
        status, answer = post(url, drawing((DIGITS / "one.png").read_bytes()))
        assert status == 500 and answer == {"error": "the server failed to read this drawing"}
        monkeypatch.undo()
        assert post(url, drawing((DIGITS / "one.png").read_bytes()))[1]["digit"] == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert capfd.readouterr().err == "mlp-draw: POST /api/read: ZeroDivisionError: division by zero\n"
