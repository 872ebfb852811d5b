"""Fuzzing with hypothesis: the image decoding of mlp-predict and mlp-draw, and the request
handling of a real mlp-draw process on 127.0.0.1.

Whatever arrives (random bytes, PNGs and JPEGs cut short or with bytes changed, random JSON,
random headers), decoding ends in pixels or in one line that names the image, and the
server answers 2xx or 4xx with a one-line JSON error: never a 5xx, a traceback or a hang,
and it still reads a real drawing afterwards. The examples are drawn from a fixed seed, so a
run is repeatable; EXAMPLES says how many each test tries.
"""

import contextlib
import io
import json
import re
import signal
import socket
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image
from support.commands import DIGITS, address_of, drawing, post, start_draw

from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.images import decode_image

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'

EXAMPLES = 1000
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def encoded(image: Image.Image, format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


SEVEN = (DIGITS / "seven.png").read_bytes()
FOUR = (DIGITS / "four.jpg").read_bytes()
NOISE = encoded(Image.fromarray(np.random.default_rng(0).integers(0, 256, (60, 80), np.uint8)), "PNG")
VALID_IMAGES = [SEVEN, FOUR, NOISE, encoded(Image.new("RGB", (40, 30), "white"), "JPEG")]


@st.composite
def damaged_images(draw: st.DrawFn) -> bytes:
    """A real PNG or JPEG, cut short, with some bytes changed, or both."""
    data = bytearray(draw(st.sampled_from(VALID_IMAGES)))
    for _ in range(draw(st.integers(0, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


@st.composite
def png_chunks(draw: st.DrawFn) -> bytes:
    """PNG's signature, then chunks of any type and length, their data as long as they say
    or not: the headers Pillow parses before any check of ours can run."""
    data = b"\x89PNG\r\n\x1a\n"
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from([b"IHDR", b"PLTE", b"IDAT", b"pHYs", b"acTL", b"fcTL", b"iCCP", b"IEND"]))
        body = draw(st.binary(max_size=40))
        data += len(body).to_bytes(4, "big") + kind + body + draw(st.binary(min_size=4, max_size=4))
    return data[: draw(st.integers(8, len(data)))]


image_bytes = st.one_of(st.binary(max_size=2000), damaged_images(), png_chunks())


@FUZZ
@given(data=image_bytes)
@example(data=b"\x89PNG\r\n\x1a\n")
@example(data=SEVEN[:100])
@example(data=b"\x89PNG\r\n\x1a\n\x00\x00\x00\x00IHDR")  # found by a mutation run: "Truncated IHDR chunk"
def test_any_bytes_decode_to_pixels_or_one_line_naming_the_image(data: bytes) -> None:
    try:
        grey = decode_image(data, "upload.png")
    except UserError as error:
        message = str(error)
        assert message.startswith("upload.png: ") and "\n" not in message
        assert "expected" in message
    else:
        assert grey.ndim == 2 and grey.dtype == np.float32
        assert grey.min() >= 0 and grey.max() <= 1


@pytest.fixture(scope="module")
def server(trained_repo: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """One mlp-draw for the module's fuzzing; after it, it must stop cleanly, having printed nothing."""
    process = start_draw("--port", "0", "--model", str(trained_repo / "models" / "model.npz"))
    url = address_of(process)
    yield process, url
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert err == "" and out == "mlp-draw: stopped\n"


def exchange(url: str, request: bytes) -> bytes:
    """Send `request` whole, say that nothing more comes, and read the answer to its end."""
    host, port = re.match(r"http://([^:/]+):(\d+)/", url).groups()
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(request)
        # The server may answer and close before the client is done (a header line over its
        # limit): then shutting down finds no connection, and the answer is already waiting.
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):  # a hang times out here, after 5 s
            answer += chunk
    return answer


def check_answer(answer: bytes, body_was_whole: bool) -> int | None:
    """A 2xx, or a 4xx whose body is one line of JSON with an error; nothing at all only for
    a client that left before its request was whole. Returns the status, if any."""
    if not answer:
        assert not body_was_whole, "a whole request got no answer"
        return None
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(re.match(rb"HTTP/1\.[01] (\d{3}) ", head)[1])
    assert 200 <= status < 500, answer[:300]
    if status >= 400:
        error = json.loads(body)
        assert set(error) == {"error"} and "\n" not in error["error"] and b"\n" not in body
    return status


def reached_the_handlers(statuses: Counter) -> bool:
    """Requests refused for their Host (403) never reach the routes or the drawing's reading:
    a fuzz run that got only those would have tested nothing."""
    return statuses[200] > 0 and any(400 <= status < 500 and status != 403 for status in statuses)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
bodies = st.one_of(
    st.binary(max_size=3000),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(st.sampled_from(["image", "picture"]), json_values, max_size=2).map(
        lambda value: json.dumps(value).encode()
    ),
    damaged_images().map(drawing),
)


def host_of(url: str) -> str:
    """The Host header the page itself sends: the server's own address and port."""
    return re.match(r"http://([^/]+)/", url)[1]


def post_request(url: str, body: bytes) -> bytes:
    headers = {"Host": host_of(url), "Content-Type": "application/json", "Content-Length": str(len(body))}
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"POST /api/read HTTP/1.1\r\n{lines}\r\n".encode("latin-1") + body


def test_any_body_gets_a_2xx_or_a_one_line_4xx(server: tuple[subprocess.Popen, str]) -> None:
    statuses: Counter = Counter()

    @FUZZ
    @given(body=bodies)
    @example(body=drawing(SEVEN))  # a real drawing: the run must see a 200 too
    @example(body=b"[" * 100_000)  # nested past Python's recursion limit
    @example(body=drawing(encoded(Image.new("1", (15000, 15000)), "PNG")))
    def fuzz(body: bytes) -> None:
        statuses[check_answer(exchange(server[1], post_request(server[1], body)), body_was_whole=True)] += 1

    fuzz()
    assert reached_the_handlers(statuses) and statuses[403] == 0, statuses


# Never a Host of its own: every request names the server as the page does, so that it
# reaches the parsing beyond the Host check (a second Host would be refused, and said so).
header_names = st.sampled_from(["Content-Length", "Content-Type", "Transfer-Encoding", "Connection"]) | (
    st.text(
        st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"), min_size=1, max_size=20
    ).filter(lambda name: name.lower() != "host")
)
header_values = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40),
    st.integers(-(10**6), 10**12).map(str),
    st.sampled_from(["chunked", "²", "1e3", " 12", "9" * 5000]),
)
request_lines = st.one_of(
    st.sampled_from(["POST /api/read HTTP/1.1", "GET / HTTP/1.0", "GET /api/units HTTP/1.1"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
)


def test_any_request_line_and_headers_get_a_2xx_or_a_one_line_4xx(
    server: tuple[subprocess.Popen, str],
) -> None:
    statuses: Counter = Counter()

    @FUZZ
    @given(
        line=request_lines,
        headers=st.dictionaries(header_names, header_values, max_size=6),
        body=st.binary(max_size=200),
    )
    def fuzz(line: str, headers: dict[str, str], body: bytes) -> None:
        head = f"{line}\r\nHost: {host_of(server[1])}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        length = headers.get("Content-Length", "").strip()
        declared = int(length) if length.isascii() and length.isdigit() and len(length) < 10 else 0
        # A blank request line is no request: http.server closes without a word, as HTTP allows.
        whole = bool(line.split()) and declared <= len(body)
        answer = exchange(server[1], head.encode("latin-1") + b"\r\n" + body)
        statuses[check_answer(answer, body_was_whole=whole)] += 1

    fuzz()
    assert reached_the_handlers(statuses), statuses


def test_whenever_it_runs_the_fuzzed_server_still_reads_a_drawing(
    server: tuple[subprocess.Popen, str],
) -> None:
    # Whatever fuzzing came before, in any order; the fixture then checks that nothing was printed.
    status, answer = post(server[1], drawing(SEVEN))
    assert status == 200 and answer["digit"] == 7
