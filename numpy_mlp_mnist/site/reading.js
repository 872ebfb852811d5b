// What the network makes of a digit, as mlp-draw's page and the static site both show it:
// the drawing pad, the 28x28 image the network receives, the digit it reads, the
// probability of each digit, and the hidden units lit by their activation. The two pages
// differ only in where the reading comes from (mlp-draw's server, or the model in the page).

/** The page's elements for a reading, the probability bars and the hidden units made from
 * `units` ({widths, pictures}: the first layer's pictures as data URLs). */
export function readingView(units) {
  const view = {
    seen: document.getElementById("seen"),
    prediction: document.getElementById("prediction"),
    bars: [],
    layers: [], // per hidden layer, its units' elements
  };
  for (let digit = 0; digit < 10; digit++) {
    const row = document.createElement("div");
    row.className = "bar";
    row.dataset.digit = digit;
    row.innerHTML = `<span>${digit}</span><span class="track"><span class="fill"></span></span><span class="value"></span>`;
    document.getElementById("bars").appendChild(row);
    view.bars.push(row);
  }
  // The first hidden layer's units show their input weights; a deeper layer's weights are
  // not pictures of digits, so its units are plain cells, lit the same way.
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
    view.layers.push(cells);
  });
  return view;
}

/** `answer` ({pixels, probabilities, hidden, digit}) shown in `view`; null clears it. */
export function showReading(view, answer) {
  const image = view.seen.getContext("2d").createImageData(28, 28);
  view.bars.forEach((row, digit) => {
    const p = answer ? answer.probabilities[digit] : 0;
    row.dataset.p = p;
    row.querySelector(".fill").style.width = `${100 * p}%`;
    row.querySelector(".value").textContent = answer ? `${(100 * p).toFixed(1)}%` : "";
    row.classList.toggle("top", answer !== null && digit === answer.digit);
  });
  view.prediction.textContent = answer ? answer.digit : "\u2013";
  view.prediction.dataset.digit = answer ? answer.digit : "";
  for (let i = 0; i < 784; i++) {
    const v = answer ? Math.round(255 * answer.pixels[i]) : 0;
    image.data.set([v, v, v, 255], 4 * i);
  }
  view.seen.getContext("2d").putImageData(image, 0, 0);
  // The exact inputs, for anyone who compares them with Python's (tests/test_site_browser.py).
  view.seen.dataset.pixels = answer ? JSON.stringify(Array.from(answer.pixels)) : "";
  view.layers.forEach((units, layer) => {
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

/** The drawing pad: white strokes 20 pixels wide on black, as MNIST's digits are. Calls
 * `onStart` as a stroke begins and `onChange` as the drawing changes. */
export function drawingPad(pad, { onStart = () => {}, onChange }) {
  const ink = pad.getContext("2d", { willReadFrequently: true });
  let drawing = false;

  function at(event) {
    const box = pad.getBoundingClientRect();
    return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
  }

  pad.addEventListener("pointerdown", (event) => {
    onStart();
    pad.setPointerCapture(event.pointerId);
    drawing = true;
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
    onChange();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const [x, y] = at(event);
    ink.lineTo(x, y);
    ink.stroke();
    onChange();
  });
  for (const name of ["pointerup", "pointercancel"]) {
    pad.addEventListener(name, () => {
      drawing = false;
      onChange();
    });
  }
  return {
    ink,
    clear() {
      ink.fillStyle = "black";
      ink.fillRect(0, 0, pad.width, pad.height);
    },
  };
}
