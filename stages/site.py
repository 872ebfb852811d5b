"""Stage 7, site: the network in any browser, with no server of its own. models/site/ is
a static folder for any web host (GitHub Pages: docs/site.md):

    index.html, page.js   the page: draw or upload a digit, see what the network sees at
                          28x28, the probabilities and the hidden units lit
    reading.js, .css      how a reading is shown, as mlp-draw's page shows it
    mnist_input.js        the preprocessing, numpy_mlp_mnist/images.py ported to JavaScript
    model.onnx            models/model.onnx, with the hidden layers' activations as
                          outputs too (a1, a2, ...)
    units.json            the layers' widths and the first layer's unit pictures
    ort/                  onnxruntime-web's WebAssembly build (stage 6)

Every file is made from its sources alone, so a rerun gives the same bytes.
"""

import json
import shutil
from pathlib import Path

import onnx
from google.protobuf.message import DecodeError

from numpy_mlp_mnist import layout
from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.files import folder_replaced_on_success
from numpy_mlp_mnist.model_file import load_model
from numpy_mlp_mnist.onnx_export import with_hidden_outputs
from numpy_mlp_mnist.pictures import unit_picture_urls
from numpy_mlp_mnist.programs import run_stage
from stages.site_runtime import RUNTIME_FILES

PAGE_FILES = ("index.html", "page.js", "reading.js", "reading.css", "mnist_input.js")


def build_site(model_path: Path, onnx_path: Path, sources: Path, runtime: Path, target: Path) -> None:
    model = load_model(model_path)
    try:
        onnx_model = onnx.load(onnx_path)
    except (OSError, DecodeError) as error:
        raise UserError(f"{onnx_path}: not an ONNX model ({error}); run `dvc repro` to remake it") from None
    for name in RUNTIME_FILES:
        if not (runtime / name).is_file():
            raise UserError(f"{runtime / name}: not found; run `dvc repro site_runtime` to install it")
    units = {"activation": model.activation.name, "widths": model.widths,
             "pictures": unit_picture_urls(model.weights[0])}  # fmt: skip
    with folder_replaced_on_success(target) as folder:
        for name in PAGE_FILES:
            shutil.copyfile(sources / name, folder / name)
        (folder / "model.onnx").write_bytes(with_hidden_outputs(onnx_model, model.widths).SerializeToString())
        (folder / "units.json").write_text(json.dumps(units, indent=1) + "\n")
        shutil.copytree(runtime, folder / "ort")
    files = [path for path in target.rglob("*") if path.is_file()]
    size = sum(path.stat().st_size for path in files)
    print(f"site: {target} ({len(files)} files, {size:,} bytes); serve it with any static web server")


def main() -> None:
    run_stage(
        lambda: build_site(
            layout.MODEL_PATH, layout.ONNX_PATH, layout.SITE_SOURCES, layout.SITE_RUNTIME, layout.SITE_PATH
        )
    )


if __name__ == "__main__":
    main()
