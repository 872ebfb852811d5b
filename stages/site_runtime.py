"""Stage 6, site_runtime: onnxruntime-web's files, which run the ONNX model in the static
page (stage 7), from npm as numpy_mlp_mnist/site/package-lock.json pins them.

`npm ci` installs the lock's release, checked against the lock's hash, into a temporary
folder, from which the WebAssembly build is copied: the module the page imports, the glue
it loads and the .wasm itself (the other builds, WebGL and WebGPU, are not used). The
stage depends on the lock alone, so an experiment or an mlp-search trial never reruns it
or needs npm: DVC restores its output from the cache.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

from numpy_mlp_mnist import layout
from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.files import folder_replaced_on_success
from numpy_mlp_mnist.programs import run_stage

RUNTIME_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
NPM_CI = ("ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")


def install_runtime(sources: Path, target: Path) -> None:
    """onnxruntime-web's RUNTIME_FILES, as `sources`' package-lock.json pins it, into `target`."""
    npm = shutil.which("npm")
    if npm is None:
        raise UserError(
            "npm: not found; the site's runtime (onnxruntime-web) is installed with it: "
            "install Node.js and npm (Debian: apt-get install nodejs npm)"
        )
    with tempfile.TemporaryDirectory(prefix="site-runtime-") as scratch:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(sources / name, Path(scratch) / name)
        result = subprocess.run([npm, *NPM_CI], cwd=scratch, capture_output=True, text=True)
        if result.returncode != 0:
            reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
            raise UserError(f"{sources / 'package-lock.json'}: `npm ci` failed ({reason})")
        dist = Path(scratch) / "node_modules" / "onnxruntime-web" / "dist"
        with folder_replaced_on_success(target) as folder:
            for name in RUNTIME_FILES:
                shutil.copyfile(dist / name, folder / name)
    size = sum(path.stat().st_size for path in target.iterdir())
    print(f"site_runtime: {target} ({len(RUNTIME_FILES)} files of onnxruntime-web, {size:,} bytes)")


def main() -> None:
    run_stage(lambda: install_runtime(layout.SITE_SOURCES, layout.SITE_RUNTIME))


if __name__ == "__main__":
    main()
