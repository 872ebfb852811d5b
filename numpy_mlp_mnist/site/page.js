// The page: a drawing pad and an upload, read by the ONNX model in onnxruntime-web, shown
// as mlp-draw's page shows them. Every file it loads comes from its own folder.
import * as ort from "./ort/ort.wasm.min.mjs";
import { BlankImageError, InputError, checkByteCount, greyLevels, imageHeader, toMnist } from "./mnist_input.js";

// One thread: a static host sends no cross-origin isolation headers, without which a
// page cannot share memory between threads.
ort.env.wasm.numThreads = 1;

const pad = document.getElementById("pad");
const ink = pad.getContext("2d", { willReadFrequently: true });
const seen = document.getElementById("seen");
const prediction = document.getElementById("prediction");
const status = document.getElementById("status");
const bars = [];
const layers = []; // per hidden layer, its units' elements
let session = null;
let strokes = 0, drawing = false, showingUpload = false, scheduled = false;

function say(message, kind = "error") {
  status.textContent = message;
  status.className = kind;
}

for (let digit = 0; digit < 10; digit++) {
  const row = document.createElement("div");
  row.className = "bar";
  row.dataset.digit = digit;
  row.innerHTML = `<span>${digit}</span><span class="track"><span class="fill"></span></span><span class="value"></span>`;
  document.getElementById("bars").appendChild(row);
  bars.push(row);
}

// The first hidden layer's units show their input weights; a deeper layer's weights are
// not pictures of digits, so its units are plain cells, lit the same way.
function drawUnits(units) {
  const section = document.getElementById("layers");
  units.widths.forEach((width, layer) => {
    let grid = section.querySelector(".units");
    if (layer > 0) {
      const title = document.createElement("h2");
      title.textContent = `Hidden layer ${layer + 1}: each unit lit by its activation`;
      grid = document.createElement("div");
      grid.className = "units deeper";
      section.append(title, grid);
    }
    const cells = [];
    for (let index = 0; index < width; index++) {
      const unit = document.createElement("div");
      unit.className = "unit";
      unit.dataset.activation = "0";
      unit.innerHTML = layer === 0
        ? `<img alt="unit ${index}" src="${units.pictures[index]}"><div class="glow"></div><span class="value">0</span>`
        : `<div class="glow"></div><span class="value">0</span>`;
      grid.appendChild(unit);
      cells.push(unit);
    }
    layers.push(cells);
  });
}

async function start() {
  try {
    const [units, model] = await Promise.all([
      fetch("units.json").then((response) => response.json()),
      fetch("model.onnx").then((response) => response.arrayBuffer()),
    ]);
    drawUnits(units);
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
  const inputs = { pixels: new ort.Tensor("float32", pixels, [1, 784]) };
  const outputs = await session.run(inputs);
  const probabilities = Array.from(outputs.probabilities.data);
  const hidden = layers.map((_, layer) => Array.from(outputs[`a${layer + 1}`].data));
  const digit = probabilities.indexOf(Math.max(...probabilities));
  show({ pixels, probabilities, hidden, digit });
  if (!document.body.dataset.firstPrediction) document.body.dataset.firstPrediction = String(performance.now());
}

function show(answer) {
  const image = seen.getContext("2d").createImageData(28, 28);
  bars.forEach((row, digit) => {
    const p = answer ? answer.probabilities[digit] : 0;
    row.dataset.p = p;
    row.querySelector(".fill").style.width = `${100 * p}%`;
    row.querySelector(".value").textContent = answer ? `${(100 * p).toFixed(1)}%` : "";
    row.classList.toggle("top", answer !== null && digit === answer.digit);
  });
  prediction.textContent = answer ? answer.digit : "\u2013";
  prediction.dataset.digit = answer ? answer.digit : "";
  for (let i = 0; i < 784; i++) {
    const v = answer ? Math.round(255 * answer.pixels[i]) : 0;
    image.data.set([v, v, v, 255], 4 * i);
  }
  seen.getContext("2d").putImageData(image, 0, 0);
  // The exact inputs, for anyone who compares them with Python's (tests/test_site_browser.py).
  seen.dataset.pixels = answer ? JSON.stringify(Array.from(answer.pixels)) : "";
  layers.forEach((units, layer) => {
    const hidden = answer ? answer.hidden[layer] : units.map(() => 0);
    const strongest = Math.max(1e-9, ...hidden.map(Math.abs));
    units.forEach((unit, index) => {
      const share = Math.max(0, hidden[index]) / strongest;
      unit.dataset.activation = hidden[index];
      const picture = unit.querySelector("img");
      if (picture) picture.style.opacity = 0.35 + 0.65 * share;
      else unit.style.opacity = 0.1 + 0.9 * share;
      unit.querySelector(".glow").style.opacity = share;
      unit.querySelector(".value").textContent = hidden[index].toFixed(2);
    });
  });
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

function clearPad() {
  ink.fillStyle = "black";
  ink.fillRect(0, 0, pad.width, pad.height);
  strokes = 0;
  showingUpload = false;
  show(null);
}

function at(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
}

pad.addEventListener("pointerdown", (event) => {
  if (showingUpload) clearPad(); // a stroke after an upload starts a new drawing
  pad.setPointerCapture(event.pointerId);
  drawing = true;
  strokes += 1;
  const [x, y] = at(event);
  ink.strokeStyle = "white";
  ink.fillStyle = "white";
  ink.lineWidth = 20;
  ink.lineCap = "round";
  ink.lineJoin = "round";
  ink.beginPath();
  ink.arc(x, y, ink.lineWidth / 2, 0, 2 * Math.PI);
  ink.fill();
  ink.beginPath();
  ink.moveTo(x, y);
  update();
});
pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const [x, y] = at(event);
  ink.lineTo(x, y);
  ink.stroke();
  update();
});
for (const name of ["pointerup", "pointercancel"]) {
  pad.addEventListener(name, () => {
    drawing = false;
    update();
  });
}
document.getElementById("clear").addEventListener("click", () => {
  clearPad();
  say("");
});
document.getElementById("read").addEventListener("click", readPad);

// An uploaded image is read at its own size, as mlp-predict reads the file, and shown on
// the pad. Its header is checked first, so a huge or foreign file is refused undecoded;
// its colour profile and orientation tag are ignored, as Pillow ignores them.
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
