"""Where each stage reads and writes, relative to the repository root (as in dvc.yaml)."""

from pathlib import Path

RAW_DIR = Path("data/raw")
PREPARED_DIR = Path("data/prepared")
MODEL_PATH = Path("models/model.npz")
HISTORY_PATH = Path("metrics/train_history.csv")
VALIDATION_PATH = Path("metrics/validation.json")
METRICS_PATH = Path("metrics/test.json")
PER_DIGIT_PATH = Path("metrics/per_digit_accuracy.csv")
CONFUSION_PATH = Path("metrics/confusion.csv")
MISCLASSIFIED_PATH = Path("metrics/misclassified.png")
WEIGHTS_PICTURE_PATH = Path("metrics/weights.png")
ONNX_PATH = Path("models/model.onnx")
TEST_VECTORS_PATH = Path("models/onnx_test_vectors.json")
# The sample digits, drawn dark on light paper: what the ONNX model's test vectors show.
SAMPLE_DIGITS = (Path("data/digits/seven.png"), Path("data/digits/four.jpg"), Path("data/digits/one.png"))


def array_path(directory: Path, name: str) -> Path:
    """data/<stage>/<name>.npy, where name is like "train_images" or "val_labels"."""
    return directory / f"{name}.npy"


# The static page: its sources (HTML, JavaScript, npm's lock), onnxruntime-web's files from
# npm, and the site built from both and the model.
SITE_SOURCES = Path("numpy_mlp_mnist/site")
SITE_RUNTIME = Path("models/onnxruntime-web")
SITE_PATH = Path("models/site")
