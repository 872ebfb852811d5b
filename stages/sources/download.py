"""HTTP downloads a user can trust: timeouts, bounded retries with backoff, mirror fall-through.

A file is streamed into a temporary file beside its target and renamed into place only
once its length and checksum are right, so an interrupted or corrupted download never
leaves a file that looks complete.
"""

import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests
from tqdm import tqdm

from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.files import new_temporary

CHUNK = 1 << 16


@dataclass(frozen=True)
class Policy:
    timeout: float = 30.0  # seconds to connect, and seconds a stalled read may wait
    attempts: int = 3  # per mirror
    backoff: float = 1.0  # seconds before the 2nd attempt; doubled before each later one


class MirrorUnavailableError(Exception):
    """This mirror will not serve the file (404 and the like): move on, do not retry."""


def _fetch_once(url: str, target: Path, md5: str | None, timeout: float) -> None:
    with requests.get(url, stream=True, timeout=timeout) as response:
        if response.status_code in (401, 403, 404, 410):
            raise MirrorUnavailableError(f"HTTP {response.status_code}")
        response.raise_for_status()
        size = int(response.headers.get("Content-Length", 0)) or None
        digest = hashlib.md5(usedforsecurity=False)
        handle, temporary = new_temporary(target)
        try:
            with (
                os.fdopen(handle, "wb") as out,
                tqdm(
                    total=size, unit="B", unit_scale=True, desc=target.name, disable=None, leave=False
                ) as bar,
            ):
                for chunk in response.iter_content(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            received = temporary.stat().st_size
            if size is not None and received != size:
                raise OSError(f"body cut short: {received} of {size} bytes")
            if md5 is not None and digest.hexdigest() != md5:
                raise OSError(f"checksum mismatch: md5 {digest.hexdigest()}, expected {md5}")
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)


def download(
    name: str, base_urls: Sequence[str], target: Path, md5: str | None = None, policy: Policy = Policy()
) -> None:
    """Fetch `name` from the first of `base_urls` that serves it intact, into `target`."""
    last_failure = "none given"
    for base in base_urls:
        url = base.rstrip("/") + "/" + name
        for attempt in range(policy.attempts):
            if attempt:
                time.sleep(policy.backoff * 2 ** (attempt - 1))
            try:
                _fetch_once(url, target, md5, policy.timeout)
                return
            except MirrorUnavailableError as error:
                last_failure = f"{url}: {error}"
                break
            except (requests.RequestException, OSError) as error:
                reason = f"{type(error).__name__}: {error}".splitlines()[0][:200]
                last_failure = f"{url}: {reason}"
    raise UserError(
        f"could not download {name} from any of {len(base_urls)} mirror(s) "
        f"(last: {last_failure}); "
        "check your connection or proxy (HTTPS_PROXY), set idx_dir to a folder holding the files, "
        "or use source: pypi"
    )
