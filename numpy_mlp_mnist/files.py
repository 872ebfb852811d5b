"""Reading and writing the pipeline's files: safely, checked, and byte-for-byte repeatable.

Outputs are written to temporary files beside their targets and renamed into place
together only when all are complete, so an interrupted stage never leaves a file
that looks finished. Nothing is ever unpickled.
"""

import io
import json
import os
import secrets
import shutil
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from numpy_mlp_mnist.errors import UserError

# A fixed timestamp for zip members: np.savez stamps the current time, which would
# change the model's bytes, and so its DVC hash, on every run.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def new_temporary(target: Path) -> tuple[int, Path]:
    """An open, new, empty file beside `target` (its descriptor and path), named after it,
    with the permissions open() would give `target` itself: 0666 less the umask, where
    tempfile.mkstemp gives 0600 whatever the umask, unreadable by a teammate or a web server."""
    while True:
        path = target.parent / f".{target.name}.partial-{secrets.token_hex(6)}"
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), path
        except FileExistsError:
            continue


@contextmanager
def replaced_on_success(*targets: Path) -> Iterator[list[Path]]:
    """Yield a temporary path for each target; rename them all into place on success.

    On any exception (Ctrl-C included) the temporary files are removed and the
    targets are left as they were. A target that cannot be written (a folder in its
    place, a folder without write permission, a full disk) is a UserError naming it,
    found before any target is replaced.
    """
    temporaries: list[Path] = []
    try:
        for target in targets:
            if target.is_dir():
                raise UserError(f"{target}: a folder is in the way; expected to write a file there")
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = new_temporary(target)
            os.close(handle)
            temporaries.append(temporary)
        yield temporaries
        for temporary, target in zip(temporaries, targets, strict=True):
            os.replace(temporary, target)
    except OSError as error:
        written = dict(zip(map(str, temporaries), targets, strict=False))
        culprit = written.get(str(error.filename), error.filename or targets[0])
        raise UserError(f"{culprit}: cannot be written ({error.strerror or error})") from None
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)


@contextmanager
def folder_replaced_on_success(target: Path) -> Iterator[Path]:
    """Yield a new, empty temporary folder beside `target`; on success, put it in the
    target's place, the old folder (if any) removed only then. On any exception the
    temporary folder is removed and the target is left as it was."""
    temporary = target.parent / f".{target.name}.partial-{secrets.token_hex(6)}"
    retired = target.parent / f".{target.name}.partial-{secrets.token_hex(6)}"
    try:
        if target.exists() and not target.is_dir():
            raise UserError(f"{target}: a file is in the way; expected to write a folder there")
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.mkdir()
        yield temporary
        if target.exists():
            os.replace(target, retired)
        os.replace(temporary, target)
    except OSError as error:
        culprit = error.filename or target
        raise UserError(f"{culprit}: cannot be written ({error.strerror or error})") from None
    finally:
        for leftover in (temporary, retired):
            if leftover.exists():
                shutil.rmtree(leftover)


def write_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as file:
        np.save(file, array, allow_pickle=False)


def write_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Like np.savez, but with fixed member timestamps so equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, np.asarray(array), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH), buffer.getvalue())


def write_json(path: Path, data: object) -> None:
    """`data` as JSON, keys in the order given: the same dict gives the same bytes."""
    path.write_text(json.dumps(data, indent=2) + "\n")


def _check_is_file(path: Path, kind: str) -> None:
    if path.is_dir():
        raise UserError(f"{path}: a folder, not {kind}")
    if not path.exists():
        raise UserError(f"{path}: file not found; run `dvc repro` to make it")


def _refused(path: Path, error: Exception, kind: str) -> UserError:
    """The one line for a file NumPy would not load. NumPy's own words for pickled
    contents point at allow_pickle=True, which must never be the way out."""
    if "pickle" in str(error) or "Object arrays" in str(error):
        return UserError(
            f"{path}: holds Python objects, which are never loaded; expected plain numeric arrays"
        )
    return UserError(f"{path}: not a readable {kind} ({error})")


def read_npy(path: Path) -> np.ndarray:
    """The array in `path`, refusing pickled objects; a bad file is a UserError."""
    _check_is_file(path, "a .npy array")
    with open(path, "rb") as file:
        if file.read(len(np.lib.format.MAGIC_PREFIX)) != np.lib.format.MAGIC_PREFIX:
            raise UserError(f"{path}: not a .npy array file; run `dvc repro` to remake it")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise _refused(path, error, ".npy array") from None


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array in the .npz at `path`, refusing pickled objects; a bad file is a UserError."""
    _check_is_file(path, "an .npz archive")
    if not zipfile.is_zipfile(path):
        raise UserError(f"{path}: not an .npz archive (a zip of .npy arrays)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise _refused(path, error, ".npz archive of plain arrays") from None
