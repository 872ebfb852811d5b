"""A real PostgreSQL server of its own, for a test or a benchmark: Debian's binaries, a
temporary folder, 127.0.0.1 and a free port; started with initdb and pg_ctl as the
`postgres` user (it refuses to run as root), stopped and started again at will (an outage
on purpose), and stopped at the end."""

import getpass
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

# Relative: benchmarks/search.py imports this module as tests.support.postgres.
from .ports import free_port

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def binary(name: str) -> str | None:
    found = [str(directory / name) for directory in BIN_DIRS if (directory / name).exists()]
    return found[0] if found else shutil.which(name)


class PostgresServer:
    """A server with an empty database `search`, reached at `url` (psycopg 3, user
    postgres, password-less on 127.0.0.1 only)."""

    def __init__(self, folder: Path, run_as: list[str]) -> None:
        self.folder, self.run_as = folder, run_as
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/search"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run([*self.run_as, binary("pg_ctl"), "-D", str(self.data), *args],
                       check=True, capture_output=True)  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self.pg_ctl("-o", options, "-w", "-l", str(self.folder / "log"), "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every session cleanly; `immediate` as if the machine lost power."""
        self.pg_ctl("-m", mode, "stop")


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A running server, stopped (immediately) at the end."""
    run_as = [] if getpass.getuser() != "root" else ["runuser", "-u", "postgres", "--"]
    # Not under pytest's tmp_path: its folders are private to root, and the server is not root.
    with tempfile.TemporaryDirectory(prefix="mlp-postgres-") as scratch:
        folder = Path(scratch)
        if run_as:
            shutil.chown(folder, "postgres")
        server = PostgresServer(folder, run_as)
        subprocess.run([*run_as, binary("initdb"), "-D", str(server.data), "-A", "trust", "-U", "postgres"],
                       check=True, capture_output=True)  # fmt: skip
        server.start()
        try:
            subprocess.run([*run_as, binary("createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U",
                            "postgres", "search"], check=True, capture_output=True)  # fmt: skip
            yield server
        finally:
            with suppress(subprocess.CalledProcessError):  # a test may have stopped it already
                server.stop("immediate")
