// The static site's page: a drawing pad and an upload, read by the ONNX model in
// onnxruntime-web and shown as mlp-draw's page shows them (reading.js, which both use).
// Every file it loads comes from its own folder.
import * as ort from "./ort/ort.wasm.min.mjs";
import { BlankImageError, InputError, checkByteCount, greyLevels, imageHeader, toMnist } from "./mnist_input.js";
import { drawingPad, readingView, showReading } from "./reading.js";

// One thread: a static host sends no cross-origin isolation headers, without which a
// page cannot share memory between threads.
ort.env.wasm.numThreads = 1;

const status = document.getElementById("status");
const pad = document.getElementById("pad");
let session = null, view = null, showingUpload = false, scheduled = false;

function say(message, kind = "error") {
  status.textContent = message;
  status.className = kind;
}

function show(answer) {
  if (view) showReading(view, answer);
}

async function start() {
  try {
    const [units, model] = await Promise.all([
      fetch("units.json").then((response) => response.json()),
      fetch("model.onnx").then((response) => response.arrayBuffer()),
    ]);
    view = readingView(units);
    session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"] });
  } catch (error) {
    say(`the network could not be loaded (${error.message}); reload the page to try again`);
    return;
  }
  show(null);
  say("Ready: draw a digit, or upload a photo of one.", "info");
  document.body.dataset.ready = String(performance.now());
}

// What the network reads, and shows: `pixels` are the 784 inputs.
async function read(pixels) {
  const outputs = await session.run({ pixels: new ort.Tensor("float32", pixels, [1, 784]) });
  const probabilities = Array.from(outputs.probabilities.data);
  const hidden = view.layers.map((_, layer) => Array.from(outputs[`a${layer + 1}`].data));
  const digit = probabilities.indexOf(Math.max(...probabilities));
  show({ pixels, probabilities, hidden, digit });
  if (!document.body.dataset.firstPrediction) document.body.dataset.firstPrediction = String(performance.now());
}

// The pad's pixels, read as an image file of it would be.
async function readPad() {
  if (!session) return;
  try {
    const { data } = ink.getImageData(0, 0, pad.width, pad.height);
    await read(toMnist(greyLevels(data, pad.width, pad.height), pad.width, pad.height, "your drawing"));
    say("");
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    show(null);
    say(error instanceof BlankImageError ? "your drawing is blank: draw a digit, 0 to 9, in the black square" : error.message);
  }
}

// At most one reading per frame while drawing; strokes drawn meanwhile go in the next one.
function update() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(async () => {
    scheduled = false;
    await readPad();
  });
}

const drawn = drawingPad(pad, {
  onStart: () => {
    if (showingUpload) clearPad(); // a stroke after an upload starts a new drawing
  },
  onChange: update,
});
const ink = drawn.ink;

function clearPad() {
  drawn.clear();
  showingUpload = false;
  show(null);
}

document.getElementById("clear").addEventListener("click", () => {
  clearPad();
  say("");
});
document.getElementById("read").addEventListener("click", readPad);

// An uploaded image is read at its own size, as mlp-predict reads the file, and shown on
// the pad. Its header is checked first, so a huge or foreign file is refused undecoded;
// its colour profile is ignored, as Pillow ignores it (its orientation tag is not, as a
// browser applies it: docs/site.md).
const upload = document.getElementById("upload");
upload.addEventListener("change", async () => {
  const file = upload.files[0];
  upload.value = "";
  if (!file || !session) return;
  try {
    checkByteCount(file.size, file.name);
    const bytes = new Uint8Array(await file.arrayBuffer());
    const { width, height } = imageHeader(bytes, file.name);
    let bitmap;
    try {
      bitmap = await createImageBitmap(new Blob([bytes]), { colorSpaceConversion: "none", premultiplyAlpha: "none" });
    } catch {
      throw new InputError(`${file.name}: not a PNG or JPEG image, or a damaged one; expected a whole PNG or JPEG`);
    }
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext("2d");
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, width, height);
    const pixels = toMnist(greyLevels(data, width, height), width, height, file.name);
    clearPad();
    const scale = Math.min(pad.width / width, pad.height / height);
    ink.drawImage(bitmap, (pad.width - width * scale) / 2, (pad.height - height * scale) / 2, width * scale, height * scale);
    showingUpload = true;
    await read(pixels);
    say(`${file.name}: ${width}x${height} pixels`, "info");
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    show(null);
    say(error.message);
  }
});

clearPad();
start();
