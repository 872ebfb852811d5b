"""mlp-draw answers its own page only, through a real server on 127.0.0.1: a request that
names another host (what a page that re-pointed its own name at 127.0.0.1 sends), or a
POST from another origin, gets 403 before anything is read or computed; the page's own
requests, curl's and urllib's are answered; --allow-host adds a name."""

import json
import re
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from support.commands import DIGITS, address_of, drawing, start_draw

FOREIGN_HOSTS = ["evil.example.com", "evil.example.com:{port}", "127.0.0.1.evil.example.com:{port}", "x"]
OWN_HOSTS = ["127.0.0.1:{port}", "127.0.0.1", "localhost:{port}", "LocalHost", "[::1]:{port}", "localhost:1"]
SEVEN = drawing((DIGITS / "seven.png").read_bytes())
ENDPOINTS = [
    ("GET", "/", b""), ("GET", "/api/units", b""), ("POST", "/api/read", SEVEN), ("GET", "/reading.js", b""),
    ("GET", "/reading.css", b""), ("GET", "/nope", b""),
]  # fmt: skip


def exchange(port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple:
    """(status, headers, body) of one request sent byte for byte; `body` may be shorter than
    its Content-Length, to show that an answer did not wait for it."""
    fields = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head = f"{method} {path} HTTP/1.1\r\n{fields}"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(head.encode("latin-1") + b"\r\n" + body)
        answer = b""
        while chunk := connection.recv(65536):  # the server closes after a refusal; else, at its deadline
            answer += chunk
            status_line, _, rest = answer.partition(b"\r\n")
            head_part, found, content = rest.partition(b"\r\n\r\n")
            length = re.search(rb"Content-Length: (\d+)", head_part)
            if found and length and len(content) >= int(length[1]):
                break
    lines = head_part.decode("latin-1").split("\r\n")
    answered = dict(line.split(": ", 1) for line in lines if ": " in line)
    return int(status_line.split()[1]), answered, content


@pytest.fixture
def server(trained_repo: Path) -> subprocess.Popen:
    process = start_draw("--port", "0", "--model", str(trained_repo / "models" / "model.npz"))
    process.url = address_of(process)
    process.port = int(re.search(r":(\d+)/$", process.url)[1])
    yield process
    if process.poll() is None:
        process.kill()
        process.communicate()


def stopped(server: subprocess.Popen) -> tuple[str, str]:
    server.send_signal(signal.SIGINT)
    out, err = server.communicate(timeout=30)
    assert server.returncode == 0
    return out, err


def assert_no_cors(headers: dict[str, str]) -> None:
    assert not [name for name in headers if name.lower().startswith("access-control-")], headers


def test_every_endpoint_refuses_a_foreign_or_missing_host_and_says_so_once(server: subprocess.Popen) -> None:
    for method, path, body in ENDPOINTS:
        for host in [*FOREIGN_HOSTS, None]:
            headers = {} if host is None else {"Host": host.format(port=server.port)}
            if body:
                headers |= {"Content-Type": "application/json", "Content-Length": str(len(body))}
            status, answered, content = exchange(server.port, method, path, headers, body)
            assert status == 403, (method, path, host)
            error = json.loads(content)["error"]
            assert error.startswith("this server does not answer to host ") and "\n" not in error
            assert_no_cors(answered)
    _, err = stopped(server)
    assert err.splitlines() == [
        "mlp-draw: refused requests for host 'evil.example.com', which this server does not answer to; "
        "if the page is yours under that name, start mlp-draw with --allow-host evil.example.com",
        "mlp-draw: refused requests for host '127.0.0.1.evil.example.com', which this server does not "
        "answer to; if the page is yours under that name, start mlp-draw with --allow-host "
        "127.0.0.1.evil.example.com",
        "mlp-draw: refused requests for host 'x', which this server does not answer to; "
        "if the page is yours under that name, start mlp-draw with --allow-host x",
        "mlp-draw: refused requests for host '(none)', which this server does not answer to",
    ]


def test_a_refused_request_is_answered_before_its_body_is_read(server: subprocess.Popen) -> None:
    """The body never comes: a server that read it would wait for it until its 10 s deadline,
    past this client's 5 s."""
    headers = {"Host": "evil.example.com", "Content-Type": "application/json", "Content-Length": "100000"}
    status, _, content = exchange(server.port, "POST", "/api/read", headers, b'{"image": "')
    assert status == 403 and b"evil.example.com" in content


def test_its_own_names_are_answered_on_any_port_or_none(server: subprocess.Popen) -> None:
    for host in OWN_HOSTS:
        for method, path, body in ENDPOINTS[:5]:
            headers = {"Host": host.format(port=server.port)}
            if body:
                headers |= {"Content-Type": "application/json", "Content-Length": str(len(body))}
            status, answered, content = exchange(server.port, method, path, headers, body)
            assert status == 200, (host, path, content)
            assert_no_cors(answered)
    assert stopped(server) == ("mlp-draw: stopped\n", "")


ORIGINS = {
    "the page's own": ("http://127.0.0.1:{port}", 200),
    "none, as curl and urllib send": (None, 200),
    "another site": ("http://evil.example.com", 403),
    "the same name on another port": ("http://127.0.0.1:1", 403),
    "another name of this server": ("http://localhost:{port}", 403),
    "an opaque origin": ("null", 403),
    "not an origin": ("http://127.0.0.1:{port}/page", 403),
}


@pytest.mark.parametrize("case", list(ORIGINS))
def test_a_post_from_another_origin_is_refused(server: subprocess.Popen, case: str) -> None:
    origin, expected = ORIGINS[case]
    headers = {"Host": f"127.0.0.1:{server.port}", "Content-Length": str(len(SEVEN))}
    if origin is not None:
        headers["Origin"] = origin.format(port=server.port)
    status, answered, content = exchange(server.port, "POST", "/api/read", headers, SEVEN)
    assert status == expected, content
    assert_no_cors(answered)
    answer = json.loads(content)
    if expected == 200:
        assert answer["digit"] == 7
    else:
        assert answer == {"error": f"requests from the page of {headers['Origin']!r} are refused"}
    # Refused origins are no Host to allow: nothing on the console.
    assert stopped(server) == ("mlp-draw: stopped\n", "")


def test_allow_host_adds_a_name_as_behind_a_reverse_proxy(trained_repo: Path) -> None:
    model = str(trained_repo / "models" / "model.npz")
    process = start_draw("--port", "0", "--model", model, "--allow-host", "Draw.Example.org")
    port = int(re.search(r":(\d+)/$", address_of(process))[1])
    try:
        assert exchange(port, "GET", "/", {"Host": "draw.example.org"})[0] == 200
        assert exchange(port, "GET", "/", {"Host": f"127.0.0.1:{port}"})[0] == 200
        # The proxy passes the page's Origin on, and may rewrite the Host to its upstream.
        for host in ("draw.example.org", f"127.0.0.1:{port}"):
            headers = {"Host": host, "Origin": "https://draw.example.org", "Content-Length": str(len(SEVEN))}
            assert exchange(port, "POST", "/api/read", headers, SEVEN)[0] == 200
        assert exchange(port, "GET", "/", {"Host": "other.example.org"})[0] == 403
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert "'other.example.org'" in err and "draw.example.org" not in err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("draw example", "--allow-host 'draw example': not a host name; expected a name such as "
         "draw.example.org, or an IP address"),
        ("draw.example.org:443", "--allow-host 'draw.example.org:443': give the name without a port; "
         "any port is answered"),
        ("-draw.example.org", "--allow-host '-draw.example.org': not a host name;"),
    ],
)  # fmt: skip
def test_a_malformed_allow_host_ends_in_one_line(trained_repo: Path, name: str, message: str) -> None:
    model = str(trained_repo / "models" / "model.npz")
    process = start_draw("--port", "0", "--model", model, f"--allow-host={name}")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith(f"error: {message}")
