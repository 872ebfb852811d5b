// An image of a digit put into the form MNIST's were made in: the port of
// numpy_mlp_mnist/images.py that the static page uses, step for step as docs/onnx.md's
// "The input, step by step" states it, and to the bit where Python rounds: float32 where
// NumPy computes in float32, NumPy's pairwise sums, round half to even, and Pillow's
// Lanczos resampling with its 22-bit fixed-point coefficients.
//
// Under Node.js it reads image files and prints each one's 784 values as JSON:
//   node numpy_mlp_mnist/site/mnist_input.js IMAGE...
// (after `npm ci` in its folder).

export const SIDE = 28;
export const BOX = 20; // MNIST scaled each digit to fit 20x20, then centred it on 28x28
export const MAX_BYTES = 20 * 2 ** 20;
export const MAX_PIXELS = 25_000_000; // as images.py: refused before any pixel is decoded

const f32 = Math.fround;

/** A problem with the input that the person can fix: shown as one line, never a trace. */
export class InputError extends Error {}

/** An image with no ink in it: well formed, but nothing to read. */
export class BlankImageError extends InputError {}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Refuses a file of `count` bytes that images.py would refuse, before it is read. */
export function checkByteCount(count, origin) {
  if (count === 0) throw new InputError(`${origin}: empty file; expected a PNG or JPEG image`);
  if (count > MAX_BYTES) {
    throw new InputError(`${origin}: ${count} bytes is too large; expected an image of at most ${MAX_BYTES} bytes`);
  }
}

/** The format and size of PNG or JPEG bytes, read from their header, before any pixel is
 * decoded; refuses what images.py refuses, in the same words. */
export function imageHeader(bytes, origin) {
  const notImage = () =>
    new InputError(`${origin}: not a PNG or JPEG image, or a damaged one; expected a whole PNG or JPEG`);
  checkByteCount(bytes.length, origin);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header = null;
  if (PNG_SIGNATURE.every((byte, index) => bytes[index] === byte) && bytes.length >= 24) {
    header = { format: "PNG", width: view.getUint32(16), height: view.getUint32(20) };
  } else if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    header = jpegHeader(view);
  }
  if (header === null || header.width === 0 || header.height === 0) throw notImage();
  if (header.width * header.height > MAX_PIXELS) {
    throw new InputError(
      `${origin}: ${header.width}x${header.height} pixels is too large; expected at most ${MAX_PIXELS} pixels`,
    );
  }
  return header;
}

// A JPEG's size is in its start-of-frame segment (markers C0 to CF, less C4, C8 and CC,
// which are not frames), after segments whose lengths say how far to skip.
function jpegHeader(view) {
  let at = 2;
  while (at + 9 <= view.byteLength) {
    if (view.getUint8(at) !== 0xff) return null;
    const marker = view.getUint8(at + 1);
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return { format: "JPEG", width: view.getUint16(at + 7), height: view.getUint16(at + 5) };
    }
    at += 2 + view.getUint16(at + 2);
  }
  return null;
}

/** Decoded RGBA pixels as grey levels in [0, 1], float32: Pillow's "L" conversion
 * (0.299 R + 0.587 G + 0.114 B in 16-bit fixed point, rounded), divided by 255. */
export function greyLevels(rgba, width, height) {
  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++) {
    const level = (rgba[4 * i] * 19595 + rgba[4 * i + 1] * 38470 + rgba[4 * i + 2] * 7471 + 0x8000) >> 16;
    grey[i] = f32(level / 255);
  }
  return grey;
}

/** `grey` (width x height, row by row) as the 784 numbers the network reads. */
export function toMnist(grey, width, height, origin) {
  const ink = inkOf(grey, width, height);
  // The digit's box: the rows and columns with ink above 0.2 (NumPy compares in float32).
  const threshold = f32(0.2);
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > threshold) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  if (bottom < 0) throw new BlankImageError(`${origin}: no digit found (the image is blank)`);
  const boxHeight = bottom - top + 1, boxWidth = right - left + 1;

  if (width === SIDE && height === SIDE && Math.max(boxHeight, boxWidth) <= BOX) {
    const [row, col] = centreOfMass(ink, SIDE, SIDE);
    const centre = (SIDE - 1) / 2;
    if (Math.max(Math.abs(row - centre), Math.abs(col - centre)) <= 1.5) return ink;
  }

  const crop = new Uint8Array(boxWidth * boxHeight);
  for (let y = 0; y < boxHeight; y++) {
    for (let x = 0; x < boxWidth; x++) {
      crop[y * boxWidth + x] = roundHalfEven(f32(ink[(top + y) * width + left + x] * 255));
    }
  }
  const scale = BOX / Math.max(boxHeight, boxWidth);
  const newWidth = Math.max(1, roundHalfEven(boxWidth * scale));
  const newHeight = Math.max(1, roundHalfEven(boxHeight * scale));
  const digit = lanczos(crop, boxWidth, boxHeight, newWidth, newHeight);

  const canvas = new Float32Array(SIDE * SIDE);
  const top0 = Math.floor((SIDE - newHeight) / 2), left0 = Math.floor((SIDE - newWidth) / 2);
  for (let y = 0; y < newHeight; y++) {
    for (let x = 0; x < newWidth; x++) canvas[(top0 + y) * SIDE + left0 + x] = f32(digit[y * newWidth + x] / 255);
  }
  // Move the centre of mass to the centre, as MNIST was made, by whole pixels (np.roll).
  const [row, col] = centreOfMass(canvas, SIDE, SIDE);
  const dy = roundHalfEven((SIDE - 1) / 2 - row), dx = roundHalfEven((SIDE - 1) / 2 - col);
  const moved = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      moved[mod(y + dy, SIDE) * SIDE + mod(x + dx, SIDE)] = canvas[y * SIDE + x];
    }
  }
  return moved;
}

// MNIST is white on black, so dark-on-light is inverted, paper level and all; and paper is
// rarely pure white, so ink is measured from the background's level, not from 0.
function inkOf(grey, width, height) {
  const border = [];
  for (let x = 0; x < width; x++) border.push(grey[x], grey[(height - 1) * width + x]);
  for (let y = 0; y < height; y++) border.push(grey[y * width], grey[y * width + width - 1]);
  const paper = median(border);
  const invert = paper > 0.5;
  const background = invert ? 1 - paper : paper;
  const base = f32(background), range = f32(Math.max(1 - background, 1e-6));
  const ink = new Float32Array(grey.length);
  for (let i = 0; i < grey.length; i++) {
    const level = invert ? f32(1 - grey[i]) : grey[i];
    ink[i] = Math.min(1, Math.max(0, f32(f32(level - base) / range)));
  }
  return ink;
}

// np.median of float32: the mean of the two middle values, in float32 (the count is even).
function median(values) {
  const sorted = Float32Array.from(values).sort();
  const middle = sorted.length / 2;
  return f32(f32(sorted[middle - 1] + sorted[middle]) / 2);
}

// As images.py: sum(row * ink) / sum(ink), the first sum float64 and the second float32,
// each in NumPy's pairwise order, so that the rounding to whole pixels agrees.
function centreOfMass(pixels, width, height) {
  const byRow = new Float64Array(pixels.length), byCol = new Float64Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    byRow[i] = Math.floor(i / width) * pixels[i];
    byCol[i] = (i % width) * pixels[i];
  }
  const total = pairwiseSum(pixels, f32, 0, height * width);
  const same = (value) => value;
  return [pairwiseSum(byRow, same, 0, pixels.length) / total, pairwiseSum(byCol, same, 0, pixels.length) / total];
}

// NumPy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src): eight running sums
// over blocks of up to 128, halves above that; `round` is the sum's own precision.
function pairwiseSum(values, round, start, count) {
  if (count < 8) {
    let sum = 0;
    for (let i = start; i < start + count; i++) sum = round(sum + values[i]);
    return sum;
  }
  if (count <= 128) {
    const r = Array.from({ length: 8 }, (_, j) => values[start + j]);
    let i = 8;
    for (; i < count - (count % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = round(r[j] + values[start + i + j]);
    }
    let sum = round(round(round(r[0] + r[1]) + round(r[2] + r[3])) + round(round(r[4] + r[5]) + round(r[6] + r[7])));
    for (; i < count; i++) sum = round(sum + values[start + i]);
    return sum;
  }
  let half = Math.floor(count / 2);
  half -= half % 8;
  return round(pairwiseSum(values, round, start, half) + pairwiseSum(values, round, start + half, count - half));
}

function roundHalfEven(value) {
  const floor = Math.floor(value), rest = value - floor;
  if (rest !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

function mod(value, side) {
  return ((value % side) + side) % side;
}

// Pillow's Image.resize(size, LANCZOS) of an 8-bit image (src/libImaging/Resample.c): the
// horizontal pass, rounded to 8 bits, then the vertical one; a pass whose size does not
// change is skipped.
export function lanczos(pixels, width, height, newWidth, newHeight) {
  let image = pixels;
  if (newWidth !== width) {
    const pass = coefficients(width, newWidth);
    image = resamplePass(height, newWidth, pass, (line, at) => pixels[line * width + at], true);
  }
  if (newHeight !== height) {
    const source = image;
    const pass = coefficients(height, newHeight);
    image = resamplePass(newWidth, newHeight, pass, (line, at) => source[at * newWidth + line], false);
  }
  return image;
}

const PRECISION_BITS = 32 - 8 - 2;

// precompute_coeffs and normalize_coeffs_8bpc: each output pixel's window in the input and
// its Lanczos weights, normalised to sum to 1 and then fixed to 22 fractional bits.
function coefficients(inSize, outSize) {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 3 * filterScale;
  const step = 1 / filterScale;
  const windows = [];
  for (let out = 0; out < outSize; out++) {
    const centre = (out + 0.5) * scale;
    const first = Math.max(0, Math.trunc(centre - support + 0.5));
    const last = Math.min(inSize, Math.trunc(centre + support + 0.5));
    const weights = [];
    for (let x = first; x < last; x++) weights.push(lanczosKernel((x - centre + 0.5) * step));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    const fixed = weights.map((weight) => {
      const share = total !== 0 ? weight / total : weight;
      return Math.trunc(share < 0 ? -0.5 + share * 2 ** PRECISION_BITS : 0.5 + share * 2 ** PRECISION_BITS);
    });
    windows.push({ first, fixed });
  }
  return windows;
}

function lanczosKernel(x) {
  if (!(-3 <= x && x < 3)) return 0;
  return sinc(x) * sinc(x / 3);
}

function sinc(x) {
  if (x === 0) return 1;
  const angle = x * Math.PI;
  return Math.sin(angle) / angle;
}

// One pass over `lines` lines (rows for the horizontal pass, columns for the vertical):
// each output value is the weighted sum plus a half, shifted down and clipped to 0-255.
function resamplePass(lines, outSize, windows, read, horizontal) {
  const out = new Uint8Array(lines * outSize);
  for (let line = 0; line < lines; line++) {
    for (let at = 0; at < outSize; at++) {
      const { first, fixed } = windows[at];
      let sum = 2 ** (PRECISION_BITS - 1);
      for (let k = 0; k < fixed.length; k++) sum += read(line, first + k) * fixed[k];
      const value = Math.min(255, Math.max(0, Math.floor(sum / 2 ** PRECISION_BITS)));
      out[horizontal ? line * outSize + at : at * lines + line] = value;
    }
  }
  return out;
}

// Under Node.js: each file named on the command line, decoded by sharp (libvips, with the
// same libjpeg-turbo and libpng as Pillow's wheels, so the same pixels).
async function main(paths) {
  const { readFileSync } = await import("node:fs");
  const sharp = (await import("sharp")).default;
  const results = [];
  for (const path of paths) {
    let bytes;
    try {
      bytes = new Uint8Array(readFileSync(path));
    } catch (error) {
      throw new InputError(`${path}: ${error.code === "ENOENT" ? "file not found" : "cannot be read"}`);
    }
    const { width, height } = imageHeader(bytes, path);
    let rgba;
    try {
      rgba = (await sharp(bytes).toColourspace("srgb").ensureAlpha().raw().toBuffer()).subarray();
    } catch {
      throw new InputError(`${path}: not a PNG or JPEG image, or a damaged one; expected a whole PNG or JPEG`);
    }
    results.push(Array.from(toMnist(greyLevels(rgba, width, height), width, height, path)));
  }
  return results;
}

// Run as a program under Node.js (in a page, `process` does not exist).
if (typeof process !== "undefined" && process.versions?.node && process.argv[1]) {
  const { pathToFileURL } = await import("node:url");
  const { realpathSync } = await import("node:fs");
  if (import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
    const paths = process.argv.slice(2);
    if (paths.length === 0) {
      console.error("usage: node mnist_input.js IMAGE...: prints each image's 784 input values as JSON");
      process.exit(2);
    }
    try {
      const results = await main(paths);
      console.log(JSON.stringify(paths.length === 1 ? results[0] : results));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      console.error(`error: ${error.message}`);
      process.exit(2);
    }
  }
}
