"""The exported ONNX model, opened by other programs: ONNX's own checker, its reference
evaluator, onnxruntime in Python and onnxruntime-web in Node.js each give the NumPy
engine's probabilities on all 10,000 test images, for the committed model (reproduced by
`dvc repro`, to the byte that dvc.lock names), a two-layer one and each activation; and an
exporter that is wrong in any of three ways is caught."""

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
import yaml
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator
from support.repos import REPO, clone_with_outputs, lock_outputs, run, update_params

import mlp
from numpy_mlp_mnist.datasets import read_split
from numpy_mlp_mnist.images import read_image, to_mnist
from numpy_mlp_mnist.layout import SAMPLE_DIGITS
from numpy_mlp_mnist.model_file import load_model
from numpy_mlp_mnist.onnx_export import INPUT, OUTPUT, to_onnx
from numpy_mlp_mnist.params import load_params
from stages.train import Outputs, train

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'
onnxruntime = pytest.importorskip(
    "onnxruntime", reason='onnxruntime is in the test extra: pip install -e ".[test]"'
)

# The largest difference from the engine's probability allowed on any of the 10 x 10,000.
# Float32 keeps 24 bits (7 digits): a logit summed from 784 products of order 1 carries a
# rounding error of order 1e-6 relative, which another order of summation (each runtime's
# own matrix kernel) moves by as much, and a probability by at most a quarter of that.
# 1e-5 leaves a margin of 10 over that and is the usual bar for float32 inference; a
# dropped leaky slope or bias moves probabilities by 1e-3 and more.
TOLERANCE = 1e-5
NODE_RUNNER = """
import { readFileSync, writeFileSync } from "node:fs";
import * as ort from "onnxruntime-web";

const [model, pixelsFile, count, out] = process.argv.slice(2);
ort.env.wasm.numThreads = 1;
const session = await ort.InferenceSession.create(readFileSync(model));
const bytes = readFileSync(pixelsFile);
const pixels = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
const input = new ort.Tensor("float32", pixels, [Number(count), 784]);
const { probabilities } = await session.run({ pixels: input });
writeFileSync(out, Buffer.from(probabilities.data.buffer));
"""


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def committed(trained_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed model, remade by `dvc repro` with the committed params, and exported."""
    repo = clone_with_outputs(trained_repo, tmp_path_factory.mktemp("committed") / "repo")
    update_params(repo / "params.yaml", epochs=yaml.safe_load((REPO / "params.yaml").read_text())["epochs"])
    run(repo, "dvc", "repro")
    return repo


@pytest.fixture(scope="module")
def test_set(trained_repo: Path) -> tuple[np.ndarray, np.ndarray]:
    return read_split(trained_repo / "data" / "prepared", "test", np.float32)


@pytest.fixture(scope="module")
def models(
    committed: Path, trained_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, mlp.MLP]:
    """The committed network, and one epoch of the train stage's own training for a
    two-layer one and for each other activation."""
    found = {"committed: 784-30-10 leaky_relu": load_model(committed / "models" / "model.npz")}
    base = dataclasses.replace(load_params(trained_repo / "params.yaml"), epochs=1)
    for hidden, activation in (([32, 16], "leaky_relu"), (30, "relu"), (30, "sigmoid"), (30, "tanh")):
        folder = tmp_path_factory.mktemp(activation)
        outputs = Outputs(*(folder / name for name in ("m.npz", "h.csv", "v.json")))
        params = dataclasses.replace(base, hidden=hidden, activation=activation)
        model = train(params, trained_repo / "data" / "prepared", outputs)
        found[f"784-{'-'.join(map(str, np.atleast_1d(hidden)))}-10 {activation}"] = model
    return found


@pytest.fixture(scope="module")
def node_runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """onnxruntime-web from npm, at the release the site's package-lock.json pins (numpy_mlp_mnist/site/)."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("no Node.js and npm: as root, `apt-get install nodejs npm` (.ci/run does so)")
    folder = tmp_path_factory.mktemp("node")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(REPO / "numpy_mlp_mnist" / "site" / name, folder / name)
    subprocess.run(["npm", "ci", "--omit=dev", "--silent", "--no-audit", "--no-fund"], cwd=folder, check=True)
    (folder / "run.mjs").write_text(NODE_RUNNER)
    return folder


def in_node(folder: Path) -> Callable[[onnx.ModelProto, np.ndarray], np.ndarray]:
    def run_model(model: onnx.ModelProto, X: np.ndarray) -> np.ndarray:
        (folder / "model.onnx").write_bytes(model.SerializeToString())
        (folder / "pixels.f32").write_bytes(X.astype("<f4").tobytes())
        subprocess.run(
            ["node", "run.mjs", "model.onnx", "pixels.f32", str(len(X)), "probabilities.f32"],
            cwd=folder, check=True, capture_output=True,
        )  # fmt: skip
        return np.frombuffer((folder / "probabilities.f32").read_bytes(), "<f4").reshape(len(X), 10)

    return run_model


def in_reference_evaluator(model: onnx.ModelProto, X: np.ndarray) -> np.ndarray:
    return ReferenceEvaluator(model).run([OUTPUT], {INPUT: X})[0]


def in_onnxruntime(model: onnx.ModelProto, X: np.ndarray) -> np.ndarray:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return session.run([OUTPUT], {INPUT: X})[0]


@dataclasses.dataclass(frozen=True)
class Agreement:
    same_digit: int  # images where the runtime's prediction is the engine's
    largest_difference: float  # of any probability
    differing: list[int]  # images whose predictions differ
    near_ties: list[int]  # images whose engine's top two are within TOLERANCE


def agreement(engine: np.ndarray, runtime: np.ndarray) -> Agreement:
    top_two = np.sort(engine, axis=1)[:, -2:]
    differing = np.flatnonzero(engine.argmax(axis=1) != runtime.argmax(axis=1))
    return Agreement(
        same_digit=len(engine) - len(differing),
        largest_difference=float(np.abs(engine.astype(np.float64) - runtime).max()),
        differing=differing.tolist(),
        near_ties=np.flatnonzero(top_two[:, 1] - top_two[:, 0] <= TOLERANCE).tolist(),
    )


def agrees(found: Agreement) -> bool:
    return found.largest_difference <= TOLERANCE and set(found.differing) <= set(found.near_ties)


@pytest.fixture(scope="module")
def runtimes(node_runtime: Path) -> dict[str, Callable[[onnx.ModelProto, np.ndarray], np.ndarray]]:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        f"ONNX reference evaluator (onnx {onnx.__version__})": in_reference_evaluator,
        f"onnxruntime {onnxruntime.__version__}, Python": in_onnxruntime,
        f"onnxruntime-web {web_release()}, Node.js {node}": in_node(node_runtime),
    }


def web_release() -> str:
    lock = json.loads((REPO / "numpy_mlp_mnist" / "site" / "package-lock.json").read_text())
    return lock["packages"]["node_modules/onnxruntime-web"]["version"]


def test_a_fresh_clone_on_this_cpu_exports_the_bytes_dvc_lock_names(committed: Path) -> None:
    for path in ("models/model.npz", "models/model.onnx"):
        assert md5(committed / path) == lock_outputs(REPO)[path], path
    assert (committed / "models" / "onnx_test_vectors.json").read_bytes() == (
        REPO / "models" / "onnx_test_vectors.json"
    ).read_bytes()


def test_the_test_vectors_are_the_preprocessing_to_the_bit_and_the_engines_probabilities(
    committed: Path,
) -> None:
    vectors = json.loads((committed / "models" / "onnx_test_vectors.json").read_text())["images"]
    model = load_model(committed / "models" / "model.npz")
    assert [vector["image"] for vector in vectors] == [str(path) for path in SAMPLE_DIGITS]
    for vector in vectors:
        pixels = np.array(vector["pixels"], dtype=np.float32).reshape(-1)
        np.testing.assert_array_equal(pixels, to_mnist(read_image(REPO / vector["image"]), vector["image"]))
        probabilities = model.predict_proba(pixels[None, :])[0]
        # The stage computed them with the pinned kernels, this process with its own: the last
        # bits differ (the stage's own bytes are checked against the committed file above).
        np.testing.assert_allclose(vector["probabilities"], probabilities, rtol=1e-4, atol=1e-7)
        assert vector["digit"] == probabilities.argmax()


def test_the_model_says_what_it_is_without_this_repository(committed: Path) -> None:
    model = onnx.load(committed / "models" / "model.onnx")
    onnx.checker.check_model(model, full_check=True)
    assert [opset.version for opset in model.opset_import] == [13] and model.ir_version == 7
    metadata = {entry.key: entry.value for entry in model.metadata_props}
    assert metadata["input"].startswith("float32 [N, 784], values in [0, 1]: each row one 28x28 image")
    assert (
        "white digit (1) on black (0), scaled to fit a 20x20 box and centred by its centre of mass"
        in (metadata["input"])
    )
    assert metadata["output"].startswith("float32 [N, 10]: the probabilities of the digits 0 to 9")
    committed_params = yaml.safe_load((REPO / "params.yaml").read_text())
    recorded = json.loads(metadata["params"])
    assert recorded == {key: committed_params[key] for key in recorded} and recorded["hidden"] == 30
    assert (
        float(metadata["test_accuracy"])
        == json.loads((REPO / "metrics" / "test.json").read_text())["accuracy"]
    )
    graph = model.graph
    assert [value.name for value in graph.input] == ["pixels"]
    assert [value.name for value in graph.output] == ["probabilities"]
    assert [tensor.name for tensor in graph.initializer] == ["W1", "b1", "W2", "b2"]
    assert str(committed) not in model.SerializeToString().decode("latin-1")


def test_every_runtime_gives_the_engines_probabilities_on_every_test_image(
    models: dict[str, mlp.MLP],
    runtimes: dict[str, Callable[[onnx.ModelProto, np.ndarray], np.ndarray]],
    test_set: tuple[np.ndarray, np.ndarray],
) -> None:
    X, _ = test_set
    rows, failures = [], []
    for name, model in models.items():
        exported = to_onnx(model, {})
        engine = model.predict_proba(X)
        for runtime, run_model in runtimes.items():
            found = agreement(engine, run_model(exported, X))
            ties = ", ".join(map(str, found.near_ties)) or "none"
            rows.append(
                f"| {runtime} | {name} | {found.same_digit:,} | {found.largest_difference:.1e} | {ties} |"
            )
            if not agrees(found):
                failures.append(rows[-1])
    table = "\n".join(
        ["| runtime | model | same digit of 10,000 | largest probability difference | near-ties |",
         "|---|---|---:|---:|---|", *rows]
    )  # fmt: skip
    print(table)
    if os.environ.get("MLP_ONNX_TABLE"):
        Path(os.environ["MLP_ONNX_TABLE"]).write_text(table + "\n")
    assert not failures, f"beyond {TOLERANCE}:\n" + "\n".join(failures)


@pytest.mark.parametrize("activation", ["leaky_relu", "relu", "sigmoid", "tanh"])
def test_the_deepest_network_params_allow_is_exported_too(
    activation: str, test_set: tuple[np.ndarray, np.ndarray]
) -> None:
    """Eight hidden layers, as initialised (their weights need no training to be carried over)."""
    rng = np.random.default_rng(0)
    model = mlp.MLP.initialise(784, [16] * 8, 10, mlp.make_activation(activation, 0.1), rng)
    exported = to_onnx(model, {})
    assert [node.op_type for node in exported.graph.node].count("Gemm") == 9
    X = test_set[0][:500]
    assert agrees(agreement(model.predict_proba(X), in_reference_evaluator(exported, X)))
    assert agrees(agreement(model.predict_proba(X), in_onnxruntime(exported, X)))


def without_leaky_slope(model: onnx.ModelProto) -> None:
    for node in model.graph.node:
        if node.op_type == "LeakyRelu":
            node.attribute[0].f = 0.0


def with_a_transposed_weight(model: onnx.ModelProto) -> None:
    """W2 stored as it would be for x W2^T, with nothing to transpose it back."""
    [tensor] = [tensor for tensor in model.graph.initializer if tensor.name == "W2"]
    tensor.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(numpy_helper.to_array(tensor).T), "W2"))


def without_a_bias(model: onnx.ModelProto) -> None:
    del model.graph.node[0].input[2]


@pytest.mark.parametrize("spoil", [without_leaky_slope, with_a_transposed_weight, without_a_bias])
def test_a_wrong_exporter_is_caught(
    models: dict[str, mlp.MLP],
    test_set: tuple[np.ndarray, np.ndarray],
    spoil: Callable[[onnx.ModelProto], None],
) -> None:
    model = models["committed: 784-30-10 leaky_relu"]
    exported = to_onnx(model, {})
    spoil(exported)
    X, _ = test_set
    try:
        onnx.checker.check_model(exported, full_check=True)
        probabilities = in_onnxruntime(exported, X)
    except (
        onnx.checker.ValidationError,
        onnx.shape_inference.InferenceError,
        onnxruntime.capi.onnxruntime_pybind11_state.Fail,
    ):
        return  # refused outright: caught
    assert not agrees(agreement(model.predict_proba(X), probabilities))
