"""A real PostgreSQL server of its own for a test: Debian's binaries, a temporary folder,
127.0.0.1 and a free port; started with initdb and pg_ctl as the `postgres` user (it
refuses to run as root), and stopped at the end."""

import getpass
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def binary(name: str) -> str | None:
    found = [str(directory / name) for directory in BIN_DIRS if (directory / name).exists()]
    return found[0] if found else shutil.which(name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running server with an empty database `search`; yields its SQLAlchemy URL
    (psycopg 3, user postgres, password-less on 127.0.0.1 only)."""
    run_as = [] if getpass.getuser() != "root" else ["runuser", "-u", "postgres", "--"]
    # Not under pytest's tmp_path: its folders are private to root, and the server is not root.
    with tempfile.TemporaryDirectory(prefix="mlp-postgres-") as scratch:
        folder = Path(scratch)
        if run_as:
            shutil.chown(folder, "postgres")
        yield from _serve(folder, run_as)


def _serve(folder: Path, run_as: list[str]) -> Iterator[str]:
    data = folder / "data"
    subprocess.run([*run_as, binary("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)  # fmt: skip
    port = free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    subprocess.run([*run_as, binary("pg_ctl"), "-D", str(data), "-o", options, "-w", "-l",
                    str(folder / "log"), "start"], check=True, capture_output=True)  # fmt: skip
    try:
        subprocess.run([*run_as, binary("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                        "search"], check=True, capture_output=True)  # fmt: skip
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/search"
    finally:
        subprocess.run([*run_as, binary("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)  # fmt: skip
