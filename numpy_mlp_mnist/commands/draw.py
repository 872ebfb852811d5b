"""mlp-draw: draw a digit and watch the network read it, live, in a local web page.

    mlp-draw [--port 8765] [--model PATH] [--host 127.0.0.1] [--allow-host NAME] [--open]

It serves one page (draw.html, beside this module) and prints its address. While you draw, the page
sends the canvas as a PNG; the server puts it into MNIST's form with the same code as
mlp-predict (numpy_mlp_mnist/images.py), runs the network in NumPy through the mlp package and
answers with what the page shows: the 28x28 input the network receives, every hidden
unit's activation, and the ten probabilities. The page itself computes nothing of the
network and loads nothing from elsewhere, so it works offline.

The server is the standard library's ThreadingHTTPServer: the page needs one HTML file
and two JSON routes, which a web framework would serve no better while adding a
dependency, and a thread per request lets several pages (or a page and a benchmark) be
answered at once. It listens on 127.0.0.1 unless --host says otherwise, and answers only
requests that name it as their Host, never another site's page (draw_hosts.py).

Careless or hostile clients cost it little: a request must arrive whole, headers and
body, within REQUEST_DEADLINE seconds of its connection, or the connection is closed and
its thread freed; at most MAX_CONNECTIONS are served at once and the next ones get 503;
a client that leaves mid-request is let go without a word; and an error in the server's
own code is one line on the console and a 500, never a traceback.
"""

import argparse
import base64
import binascii
import io
import json
import queue
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from mlp import MLP
from mlp.losses import softmax
from numpy_mlp_mnist.commands.draw_hosts import LOOPBACK_NAMES, HostPolicy, checked_host_name
from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.images import BlankImageError, decode_image, to_mnist
from numpy_mlp_mnist.model_file import find_model, load_model
from numpy_mlp_mnist.pictures import unit_picture_urls
from numpy_mlp_mnist.programs import run_program

DEFAULT_PORT = 8765
PAGE = Path(__file__).with_name("draw.html")
# How the page shows a reading, shared with the static site (numpy_mlp_mnist/site/).
SHARED = {
    "/reading.js": (Path(__file__).parents[1] / "site" / "reading.js", "text/javascript; charset=utf-8"),
    "/reading.css": (Path(__file__).parents[1] / "site" / "reading.css", "text/css; charset=utf-8"),
}
# A drawing is a canvas of a few hundred pixels a side, 5-40 kB as PNG; base64 adds a
# third. Anything far larger is refused before it is read.
MAX_BODY = 2**20
CANVAS_SIDE = (28, 1024)
MAX_REFUSED_NAMES = 100  # refused Host names reported on the console, each once
REQUEST_DEADLINE = 10.0  # seconds from a connection's start for its whole request to arrive
MAX_CONNECTIONS = 64  # served at once, each on a thread of its own
BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b'Connection: close\r\n\r\n{"error": "the server is busy; try again"}'
)


class BadRequestError(Exception):
    """A request the page should not have sent; its message says what was wrong."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class ClientGoneError(Exception):
    """The client closed its connection before its request was whole: nobody to answer."""


class DeadlineReader(io.RawIOBase):
    """A connection's incoming bytes, read with a deadline: each read waits only for what is
    left of the time, so a client that trickles its request cannot hold a thread past it."""

    def __init__(self, connection: socket.socket, seconds: float) -> None:
        self.connection = connection
        self.deadline = time.monotonic() + seconds

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request did not arrive in time")
        self.connection.settimeout(left)
        return self.connection.recv_into(buffer)


@dataclass(frozen=True)
class Reading:
    """What the network makes of one drawing."""

    pixels: np.ndarray  # the 784 inputs it receives, in [0, 1]
    hidden: list[np.ndarray]  # each hidden layer's activations, one per unit
    probabilities: np.ndarray  # of the digits 0-9

    def as_json(self) -> dict:
        return {
            "digit": int(self.probabilities.argmax()),
            "probabilities": [round(float(p), 5) for p in self.probabilities],
            "pixels": [round(float(v), 3) for v in self.pixels],
            "hidden": [[round(float(a), 4) for a in layer] for layer in self.hidden],
        }


def read_drawing(model: MLP, png: bytes) -> Reading:
    """The network's reading of a drawing, as mlp-predict would read the same image."""
    grey = decode_image(png, "the drawing", side=CANVAS_SIDE)
    X = to_mnist(grey, "the drawing")[None, :].astype(model.weights[0].dtype)
    hidden = model.hidden(X)
    return Reading(X[0], [layer[0] for layer in hidden], softmax(model.output(hidden[-1]))[0])


def drawing_in(body: bytes) -> bytes:
    """The PNG bytes in a request body {"image": "<base64 PNG, or a data: URL of one>"}."""
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequestError(HTTPStatus.BAD_REQUEST, "the body is not JSON") from None
    image = request.get("image") if isinstance(request, dict) else None
    if not isinstance(image, str):
        raise BadRequestError(HTTPStatus.BAD_REQUEST, 'expected a JSON object {"image": "<base64 PNG>"}')
    try:
        return base64.b64decode(image.removeprefix("data:image/png;base64,"), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequestError(HTTPStatus.BAD_REQUEST, "image is not base64") from None


class DrawServer(ThreadingHTTPServer):
    daemon_threads = True
    # The kernel's queue of connections not yet accepted (socketserver's default is 5): a
    # burst past it has its connections retried a second or more later.
    request_queue_size = 2 * MAX_CONNECTIONS

    def __init__(self, address: tuple[str, int], model: MLP, hosts: HostPolicy) -> None:
        super().__init__(address, DrawHandler)
        self.model = model
        self.hosts = hosts
        self.refused_names: set[str] = set()
        self.refused_lock = threading.Lock()
        self.page = PAGE.read_bytes()
        self.shared = {route: (path.read_bytes(), kind) for route, (path, kind) in SHARED.items()}
        pictures = unit_picture_urls(model.weights[0])
        self.units = json.dumps(
            {"activation": model.activation.name, "widths": model.widths, "pictures": pictures}
        ).encode()
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.refusals: queue.Queue[socket.socket] = queue.Queue(maxsize=MAX_CONNECTIONS)
        threading.Thread(target=self.refuse_forever, daemon=True).start()

    def process_request(self, request: socket.socket, client_address: tuple) -> None:
        if not self.slots.acquire(blocking=False):
            try:
                self.refusals.put_nowait(request)
            except queue.Full:  # a flood: those past twice the bound get no answer at all
                self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def refuse_forever(self) -> None:
        """Answer 503 to the connections past the bound, one at a time on this one thread.
        Each is read until its client closes (1 s at most): a socket closed with its
        request unread would be reset, and the client would see the reset, not the 503."""
        while True:
            request = self.refusals.get()
            with suppress(OSError):
                request.settimeout(1)
                request.sendall(BUSY)
                request.shutdown(socket.SHUT_WR)
                while request.recv(65536):
                    pass
            request.close()

    def process_request_thread(self, request: socket.socket, client_address: tuple) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def report_refused(self, name: str) -> None:
        """One console line for each Host name refused, the first time only."""
        with self.refused_lock:
            if name in self.refused_names or len(self.refused_names) >= MAX_REFUSED_NAMES:
                return
            self.refused_names.add(name)
        try:
            option = f"--allow-host {checked_host_name(name)}"
        except ValueError:
            hint = ""
        else:
            hint = f"; if the page is yours under that name, start mlp-draw with {option}"
        print(f"mlp-draw: refused requests for host {name!r}, which this server does not answer to{hint}",
              file=sys.stderr, flush=True)  # fmt: skip

    def handle_error(self, request: socket.socket, client_address: tuple) -> None:
        """socketserver would print a traceback; a client that left is no error of ours."""
        error = sys.exception()
        if not isinstance(error, ConnectionError | TimeoutError):
            print(f"mlp-draw: {client_address[0]}: {type(error).__name__}: {error}", file=sys.stderr)


Route = Callable[[], tuple[HTTPStatus, bytes, str]]


class DrawHandler(BaseHTTPRequestHandler):
    server: DrawServer
    # Answer even a malformed request line with a status line: no client speaks HTTP/0.9.
    default_request_version = "HTTP/1.0"

    def setup(self) -> None:
        super().setup()
        self.rfile.close()
        self.rfile = io.BufferedReader(DeadlineReader(self.connection, REQUEST_DEADLINE))

    def do_GET(self) -> None:
        self.respond(self.get)

    def do_POST(self) -> None:
        self.respond(self.post)

    def get(self) -> tuple[HTTPStatus, bytes, str]:
        if self.path == "/":
            return HTTPStatus.OK, self.server.page, "text/html; charset=utf-8"
        if self.path == "/api/units":
            return HTTPStatus.OK, self.server.units, "application/json"
        if self.path in self.server.shared:
            return HTTPStatus.OK, *self.server.shared[self.path]
        raise BadRequestError(HTTPStatus.NOT_FOUND, f"no page {self.path}")

    def post(self) -> tuple[HTTPStatus, bytes, str]:
        if self.path != "/api/read":
            raise BadRequestError(HTTPStatus.NOT_FOUND, f"no page {self.path}")
        try:
            reading = read_drawing(self.server.model, drawing_in(self.body()))
        except BlankImageError as error:
            raise BadRequestError(HTTPStatus.UNPROCESSABLE_ENTITY, str(error)) from None
        except UserError as error:
            raise BadRequestError(HTTPStatus.BAD_REQUEST, str(error)) from None
        return HTTPStatus.OK, json.dumps(reading.as_json()).encode(), "application/json"

    def respond(self, route: Route) -> None:
        """Answer with what `route` makes of the request; a fault of the server's own is one
        line on the console and a 500, and a client that left gets no answer."""
        try:
            self.check_caller()
            status, body, content_type = route()
        except BadRequestError as error:
            self.send_error(error.status, str(error))
        except ClientGoneError:
            self.close_connection = True
        except (ConnectionError, TimeoutError):
            raise
        except Exception as error:
            print(f"mlp-draw: {self.command} {self.path}: {type(error).__name__}: {error}", file=sys.stderr)
            self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR, "the server failed to read this drawing")
        else:
            self.send(status, body, content_type)

    def check_caller(self) -> None:
        """A 403, before anything is read or computed, for a request another site's page may
        have made: a Host this server does not answer to, or a POST from another origin."""
        hosts = self.headers.get_all("Host") or []
        refused = self.server.hosts.host_name_refused(hosts[0] if len(hosts) == 1 else None)
        if refused is not None:
            self.server.report_refused(refused)
            raise BadRequestError(HTTPStatus.FORBIDDEN, f"this server does not answer to host {refused!r}")
        origin = self.headers.get("Origin")
        if self.command == "POST" and not self.server.hosts.allows_origin(origin, hosts[0]):
            raise BadRequestError(HTTPStatus.FORBIDDEN, f"requests from the page of {origin!r} are refused")

    def body(self) -> bytes:
        """The request body, refused before it is read if it is not bounded or too large."""
        length = self.headers.get("Content-Length", "")
        if not (length.isascii() and length.isdigit()):
            raise BadRequestError(HTTPStatus.LENGTH_REQUIRED, "a Content-Length is required")
        if len(length) > len(str(MAX_BODY)) or int(length) > MAX_BODY:
            # Not read, so the rest of it must not be taken for the next request.
            self.close_connection = True
            raise BadRequestError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"{length} bytes is too large; at most {MAX_BODY}"
            )
        body = self.rfile.read(int(length))
        if len(body) < int(length):
            raise ClientGoneError
        return body

    def send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        # A client that does not take its answer in time is let go like one that is slow to ask.
        self.connection.settimeout(REQUEST_DEADLINE)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Every error as one line of JSON, also those http.server finds in a malformed request."""
        if code == HTTPStatus.NOT_IMPLEMENTED:  # an unknown method: the page uses GET and POST only
            code = HTTPStatus.METHOD_NOT_ALLOWED
            message = f"method {self.command!r} is not allowed; expected GET or POST"
        self.close_connection = True
        status = HTTPStatus(code)
        self.send(status, json.dumps({"error": message or status.phrase}).encode(), "application/json")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a page that updates while drawing makes many requests a second."""


def serve(server: DrawServer) -> None:
    """Serve until Ctrl-C or SIGTERM, then close the socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="mlp-draw", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="default: %(default)s; 0 picks a free one"
    )
    parser.add_argument(
        "--model", type=Path, help="an .npz model file (default: models/model.npz of this repository)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: %(default)s)")
    parser.add_argument(
        "--allow-host", action="append", default=[], metavar="NAME",
        help="answer requests that name this host too, e.g. behind a reverse proxy (repeatable)",
    )  # fmt: skip
    parser.add_argument("--open", action="store_true", help="open the page in the default browser")
    args = parser.parse_args()

    def work() -> None:
        if not 0 <= args.port <= 65535:
            raise UserError(f"--port {args.port}: expected a port number from 0 to 65535")
        try:
            hosts = HostPolicy(args.host, args.allow_host)
        except ValueError as error:
            raise UserError(str(error)) from None
        model_path = args.model or find_model(Path.cwd())
        model = load_model(model_path)
        try:
            server = DrawServer((args.host, args.port), model, hosts)
        except OSError as error:
            raise UserError(
                f"cannot listen on {args.host} port {args.port} ({error.strerror}); "
                "choose another with --port N"
            ) from None
        if args.host not in LOOPBACK_NAMES:
            print(
                f"warning: listening on {args.host}: anyone who can reach port {server.server_port} "
                "can use this page",
                file=sys.stderr,
            )
        host = f"[{args.host}]" if ":" in args.host else args.host
        url = f"http://{host}:{server.server_port}/"
        print(f"mlp-draw: {model_path} at {url} (Ctrl-C stops it)", flush=True)
        if args.open:
            webbrowser.open(url)
        serve(server)
        print("mlp-draw: stopped", flush=True)

    run_program(work)


if __name__ == "__main__":
    main()
