"""A real HTTP server on 127.0.0.1 that serves files and injects faults on request."""

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class FaultyServer:
    """Serves `files` by path; `faults[path]` lists what to do to successive requests.

    Faults: "404", "500", "stall" (hold the response past any client timeout),
    "stall-body" (send the headers and half the body, then hold the rest),
    "short" (promise the full length, send half, hang up), "flip" (one byte changed).
    Once a path's faults are used up, it is served intact.
    """

    def __init__(self, files: dict[str, bytes], stall_seconds: float = 3.0) -> None:
        self.files = files
        self.faults: dict[str, list[str]] = {}
        self.requests: list[str] = []
        self.stall_seconds = stall_seconds

    def handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.lstrip("/")
                server.requests.append(path)
                queue = server.faults.get(path, [])
                fault = queue.pop(0) if queue else None
                body = server.files.get(path)
                if body is None or fault == "404":
                    self.send_error(404)
                    return
                if fault == "500":
                    self.send_error(500)
                    return
                if fault == "stall":
                    time.sleep(server.stall_seconds)
                if fault == "flip":
                    body = body[:40] + bytes([body[40] ^ 0xFF]) + body[41:]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body[: len(body) // 2] if fault in ("short", "stall-body") else body)
                    if fault == "stall-body":
                        self.wfile.flush()
                        time.sleep(server.stall_seconds)
                if fault in ("short", "stall-body"):
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@contextmanager
def serve(server: FaultyServer) -> Iterator[str]:
    """Run `server` on a free port of 127.0.0.1; yield its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), server.handler())
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/mnist/"
    finally:
        httpd.shutdown()
        httpd.server_close()
