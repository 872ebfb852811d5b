"""The pinned CPU kernels: the same model bytes whatever kernels the environment asks for.

Other CPUs are simulated on this one by the environment variables that make OpenBLAS
and NumPy choose other kernels, as they would on another machine. A short training on
real MNIST has its model's sha256 written here: the suite says on any machine whether
that machine reproduces this repository's hashes.
"""

import hashlib
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support.repos import REPO, environment, update_params, write_params

from numpy_mlp_mnist import kernels
from numpy_mlp_mnist.layout import array_path

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'

# `python -m stages.train` with params.yaml's defaults but 1 epoch, on the first 5,000
# images of the prepared training set: on every x86-64 CPU with AVX2 and FMA, pinned.
# A change to the engine or to the defaults changes it, as it changes dvc.lock.
REFERENCE_MODEL_SHA256 = "b37ac26d8295f028fccb8abe4eafe246664291d64e34ae236e888baa3449e2dc"
TRAIN_IMAGES = 5000

CPU = Path("/proc/cpuinfo")
PINNABLE = kernels.why_not_pinnable(platform.machine(), CPU) is None
CPU_FLAGS = set(CPU.read_text().split()) if CPU.exists() else set()

# Each asks for kernels other than the pinned ones, as another CPU would get by itself.
OTHER_CPUS = {
    "OpenBLAS Sandybridge (AVX, no FMA)": {"OPENBLAS_CORETYPE": "Sandybridge"},
    "OpenBLAS Haswell, NumPy at X86_V2": {"NPY_DISABLE_CPU_FEATURES": "X86_V3"},
    "OpenBLAS Sandybridge, NumPy at X86_V2": {
        "OPENBLAS_CORETYPE": "Sandybridge",
        "NPY_DISABLE_CPU_FEATURES": "X86_V3",
    },
    "OpenBLAS Zen": {"OPENBLAS_CORETYPE": "Zen"},
}
if "avx512f" in CPU_FLAGS:
    OTHER_CPUS["OpenBLAS SkylakeX, NumPy at X86_V4 (AVX-512)"] = {
        "OPENBLAS_CORETYPE": "SkylakeX",
        "NPY_ENABLE_CPU_FEATURES": "X86_V4",
    }

needs_pinnable_cpu = pytest.mark.skipif(
    not PINNABLE,
    reason=f"the pinned kernels cannot run here: {kernels.why_not_pinnable(platform.machine(), CPU)}",
)

V3_CPUINFO = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 bmi1 bmi2 abm f16c fma movbe\n"


def test_a_cpu_with_avx2_and_fma_gets_the_pinned_kernels_whatever_the_environment_said(
    tmp_path: Path,
) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(V3_CPUINFO)
    environ = {"OPENBLAS_CORETYPE": "SkylakeX", "NPY_DISABLE_CPU_FEATURES": "X86_V3", "HOME": "/home/x"}

    assert kernels.select("pinned", environ, "x86_64", cpuinfo) is None
    assert environ == {"OPENBLAS_CORETYPE": "Haswell", "NPY_ENABLE_CPU_FEATURES": "X86_V3", "HOME": "/home/x"}


@pytest.mark.parametrize(
    ("machine", "cpuinfo_text", "reason"),
    [
        ("aarch64", V3_CPUINFO, "this is an aarch64 CPU, not x86-64"),
        ("arm64", "", "this is an arm64 CPU, not x86-64"),
        ("x86_64", V3_CPUINFO.replace(" avx2", "").replace(" fma", ""), "this CPU lacks avx2, fma"),
        ("x86_64", "processor\t: 0\n", "this CPU lacks avx, avx2"),
        ("x86_64", None, "cannot be read"),
    ],
)
def test_a_computer_that_cannot_run_them_keeps_its_own_and_is_told_in_one_line(
    tmp_path: Path, machine: str, cpuinfo_text: str | None, reason: str
) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    if cpuinfo_text is not None:
        cpuinfo.write_text(cpuinfo_text)
    environ = {"OPENBLAS_CORETYPE": "Sandybridge"}

    note = kernels.select("pinned", environ, machine, cpuinfo)

    assert environ == {"OPENBLAS_CORETYPE": "Sandybridge"}
    assert note is not None and "\n" not in note
    assert reason in note
    assert "hashes will differ from the committed dvc.lock" in note


def test_native_leaves_the_environment_alone(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(V3_CPUINFO)
    environ = {"NPY_DISABLE_CPU_FEATURES": "X86_V3"}
    assert kernels.select("native", environ, "x86_64", cpuinfo) is None
    assert environ == {"NPY_DISABLE_CPU_FEATURES": "X86_V3"}


@pytest.mark.parametrize(
    ("text", "choice"),
    [("kernels: native\n", "native"), ("kernels: pinned\n", "pinned"), ("hidden: 30\n", "pinned"),
     ("kernels: fast\n", "pinned"), ("[unclosed\n", "pinned"), ("- a list\n", "pinned")],
)  # fmt: skip
def test_the_choice_is_read_from_params_yaml_and_anything_unreadable_means_pinned(
    tmp_path: Path, text: str, choice: str
) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(text)
    assert kernels.choice_in(params) == choice
    assert kernels.choice_in(tmp_path / "missing.yaml") == "pinned"


@pytest.fixture(scope="module")
def short_training(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with real MNIST, prepared, its training set cut to the first 5,000
    images, and params.yaml's defaults but 1 epoch."""
    root = tmp_path_factory.mktemp("short-training")
    write_params(root / "params.yaml", epochs=1)
    for stage in ("fetch", "prepare"):
        subprocess.run(
            [sys.executable, "-m", f"stages.{stage}"], cwd=root, env=stage_environment(), check=True
        )
    prepared = root / "data" / "prepared"
    for name in ("train_images", "train_labels"):
        path = array_path(prepared, name)
        np.save(path, np.load(path, allow_pickle=False)[:TRAIN_IMAGES])
    return root


def stage_environment(**variables: str) -> dict[str, str]:
    return environment() | {"PYTHONPATH": str(REPO)} | variables


def train_model(workspace: Path, **variables: str) -> bytes:
    """The model file that `python -m stages.train` writes under the given environment."""
    model = workspace / "models" / "model.npz"
    model.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "stages.train"],
        cwd=workspace, env=stage_environment(**variables), capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return model.read_bytes()


@needs_pinnable_cpu
def test_this_machine_reproduces_the_repositorys_reference_model(short_training: Path) -> None:
    digest = hashlib.sha256(train_model(short_training)).hexdigest()
    assert digest == REFERENCE_MODEL_SHA256, (
        "this machine does not reproduce the committed hashes: the short reference training "
        f"gave {digest}; were the libraries installed with `pip install -c constraints.txt -e .`?"
    )


@needs_pinnable_cpu
@pytest.mark.parametrize("other_cpu", list(OTHER_CPUS))
def test_the_train_stage_writes_the_same_bytes_whatever_kernels_the_environment_selects(
    short_training: Path, other_cpu: str
) -> None:
    assert train_model(short_training, **OTHER_CPUS[other_cpu]) == train_model(short_training)


def exported(workspace: Path, **variables: str) -> tuple[bytes, bytes]:
    """models/model.onnx and the test vectors that `python -m stages.export` writes, from
    the workspace's model, under the given environment."""
    result = subprocess.run(
        [sys.executable, "-m", "stages.export"], cwd=workspace, env=stage_environment(**variables),
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return (workspace / "models" / "model.onnx").read_bytes(), (
        workspace / "models" / "onnx_test_vectors.json"
    ).read_bytes()


@needs_pinnable_cpu
@pytest.mark.parametrize("other_cpu", list(OTHER_CPUS))
def test_the_export_writes_the_same_bytes_whatever_kernels_the_environment_selects(
    short_training: Path, other_cpu: str
) -> None:
    """The ONNX model is the trained arrays and text; its test vectors' probabilities are
    computed, so they would follow the kernels, but for the pin."""
    train_model(short_training)
    subprocess.run([sys.executable, "-m", "stages.evaluate"], cwd=short_training, env=stage_environment(),
                   check=True, capture_output=True)  # fmt: skip
    if not (short_training / "data" / "digits").exists():
        shutil.copytree(REPO / "data" / "digits", short_training / "data" / "digits")
    assert exported(short_training, **OTHER_CPUS[other_cpu]) == exported(short_training)


@needs_pinnable_cpu
def test_without_the_pin_those_environments_do_change_the_bytes(short_training: Path) -> None:
    """The check above could fail: with `kernels: native` the same environment that the
    pin overrides gives other bytes."""
    pinned = train_model(short_training)
    update_params(short_training / "params.yaml", kernels="native")
    try:
        native = train_model(short_training, OPENBLAS_CORETYPE="Sandybridge")
    finally:
        update_params(short_training / "params.yaml", kernels="pinned")
    assert native != pinned


# Every way the project's code is started: the stages as dvc.yaml starts them, the console
# commands (their scripts import the command's module), the benchmarks.
ENTRY_POINTS = [
    *(f"stages.{stage}" for stage in ("check", "fetch", "prepare", "train", "evaluate", "export")),
    "numpy_mlp_mnist.commands.predict", "numpy_mlp_mnist.commands.draw", "numpy_mlp_mnist.commands.search",
    *(f"benchmarks.{name}" for name in ("draw", "engine_change", "kernels", "one_run", "search", "speed",
                                        "widths", "xla_products")),
]  # fmt: skip
PROBE = (
    "import importlib, sys\n"
    "importlib.import_module(sys.argv[1])\n"
    "import numpy, threadpoolctl\n"
    "from numpy._core._multiarray_umath import __cpu_features__ as features\n"
    "print(threadpoolctl.threadpool_info()[0]['architecture'], features['X86_V3'], features['X86_V4'])\n"
)


@needs_pinnable_cpu
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_every_entry_point_computes_with_the_pinned_kernels(short_training: Path, entry_point: str) -> None:
    """Imported as it is started, before anything else, under an environment that asks for
    other kernels (as another CPU would get by itself): Haswell's BLAS, NumPy at X86_V3."""
    if entry_point == "benchmarks.xla_products":
        pytest.importorskip(
            "jax", reason='benchmarks.xla_products needs the bench extra: pip install -e ".[bench]"'
        )
    result = subprocess.run(
        [sys.executable, "-c", PROBE, entry_point], cwd=short_training, capture_output=True, text=True,
        env=stage_environment(OPENBLAS_CORETYPE="Sandybridge", NPY_DISABLE_CPU_FEATURES="X86_V3"),
    )  # fmt: skip
    assert result.stdout.split() == ["Haswell", "True", "False"], result.stderr


@pytest.mark.parametrize(
    "start", ["runpy.run_module('stages.check', run_name='__main__')",
              "from numpy_mlp_mnist.commands.predict import main; sys.argv[1:] = ['x.png']; main()"],
    ids=["a stage", "a command"],
)  # fmt: skip
def test_numpy_loaded_before_the_pin_stops_a_program_in_one_line(short_training: Path, start: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import numpy, runpy, sys\n{start}"], cwd=short_training, capture_output=True,
        text=True, env=stage_environment(),
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: NumPy was loaded before the CPU kernels could be pinned, so this process computes with "
        "whatever kernels it found; start it as dvc.yaml does (python -m stages.NAME), with nothing "
        "importing NumPy first, or set kernels: native in params.yaml\n"
    )
    update_params(short_training / "params.yaml", kernels="native")
    try:
        late = "import numpy, runpy\nrunpy.run_module('stages.check', run_name='__main__')"
        check = subprocess.run(
            [sys.executable, "-c", late], cwd=short_training, capture_output=True, text=True,
            env=stage_environment(),
        )  # fmt: skip
    finally:
        update_params(short_training / "params.yaml", kernels="pinned")
    assert check.returncode == 0, check.stderr
