// The MLP's forward pass in the browser: the same maths as dl_core/basics/analysis.py
// (features, activations, Dense layers, losses), checked against NumPy in
// tests/unit/test_basics_player.py. Plain functions, no DOM: the player module is this file
// followed by mlp_player.js.

const FEATURE_FNS = {
  "x": (x, y) => x,
  "y": (x, y) => y,
  "x²": (x, y) => x * x,
  "y²": (x, y) => y * y,
  "xy": (x, y) => x * y,
  "sin x": (x, y) => Math.sin(Math.PI * x),
  "sin y": (x, y) => Math.sin(Math.PI * y),
};

// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): GELU as Keras computes it (exact).
function erf(x) {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1 - poly * Math.exp(-a * a));
}

const ACTIVATIONS = {
  relu: (z) => (z > 0 ? z : 0),
  tanh: Math.tanh,
  sigmoid: (z) => 1 / (1 + Math.exp(-Math.max(-60, Math.min(60, z)))),
  linear: (z) => z,
  gelu: (z) => 0.5 * z * (1 + erf(z / Math.SQRT2)),
};

function decodeBytes(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function decodeFloats(b64) {
  return new Float32Array(decodeBytes(b64).buffer);
}

// One snapshot's flat weights as Dense layers: [{w (nIn*nOut, row-major), b, nIn, nOut}].
function unpack(flat, layout) {
  const layers = [];
  let i = 0;
  for (let k = 0; k < layout.length; k += 2) {
    const [nIn, nOut] = layout[k];
    const w = flat.subarray(i, i + nIn * nOut);
    i += nIn * nOut;
    const b = flat.subarray(i, i + nOut);
    i += nOut;
    layers.push({ w, b, nIn, nOut });
  }
  return layers;
}

// Outputs of every layer for n points (xy: [x0, y0, x1, y1, ...]):
// [features (n*F), hidden 1 (n*H1), ..., output (n*1)], each point's values contiguous.
// Dropout is off, as at prediction time.
function forward(layers, featureNames, activation, classification, xy) {
  const n = xy.length / 2;
  const F = featureNames.length;
  const feats = new Float32Array(n * F);
  const fns = featureNames.map((f) => FEATURE_FNS[f]);
  for (let p = 0; p < n; p++) {
    const x = xy[2 * p], y = xy[2 * p + 1];
    for (let f = 0; f < F; f++) feats[p * F + f] = fns[f](x, y);
  }
  const outs = [feats];
  const act = ACTIVATIONS[activation] || ACTIVATIONS.linear;
  let h = feats;
  layers.forEach((layer, li) => {
    const last = li === layers.length - 1;
    const phi = last ? (classification ? ACTIVATIONS.sigmoid : ACTIVATIONS.linear) : act;
    const { w, b, nIn, nOut } = layer;
    const out = new Float32Array(n * nOut);
    for (let p = 0; p < n; p++) {
      const base = p * nIn;
      for (let j = 0; j < nOut; j++) {
        let z = b[j];
        for (let i = 0; i < nIn; i++) z += h[base + i] * w[i * nOut + j];
        out[p * nOut + j] = phi(z);
      }
    }
    outs.push(out);
    h = out;
  });
  return outs;
}

// Mean cross-entropy (probabilities vs 0/1 labels) or mean squared error.
function lossOf(pred, target, kind) {
  let s = 0;
  for (let i = 0; i < pred.length; i++) {
    if (kind === "cross-entropy") {
      const p = Math.min(1 - 1e-7, Math.max(1e-7, pred[i]));
      s -= target[i] * Math.log(p) + (1 - target[i]) * Math.log(1 - p);
    } else {
      s += (pred[i] - target[i]) ** 2;
    }
  }
  return pred.length ? s / pred.length : NaN;
}

function accuracyOf(pred, target) {
  let ok = 0;
  for (let i = 0; i < pred.length; i++) ok += (pred[i] > 0.5) === (target[i] > 0.5) ? 1 : 0;
  return pred.length ? ok / pred.length : NaN;
}

// A square grid over the plane, row 0 at the bottom: [x0, y0, x1, y1, ...] (r*r points).
function gridPoints(r, lo, hi) {
  const xy = new Float32Array(2 * r * r);
  const step = (hi - lo) / (r - 1);
  for (let row = 0; row < r; row++) {
    for (let col = 0; col < r; col++) {
      xy[2 * (row * r + col)] = lo + col * step;
      xy[2 * (row * r + col) + 1] = lo + row * step;
    }
  }
  return xy;
}

// The `level` contour of values on an r*r grid (row 0 at the bottom) as segments in grid
// units: [[c0, r0, c1, r1], ...] (marching squares, saddles resolved by the centre value).
function contour(values, r, level) {
  const segs = [];
  const at = (row, col) => values[row * r + col];
  const cross = (a, b) => (level - a) / (b - a);
  for (let row = 0; row < r - 1; row++) {
    for (let col = 0; col < r - 1; col++) {
      const v0 = at(row, col), v1 = at(row, col + 1), v2 = at(row + 1, col + 1), v3 = at(row + 1, col);
      const code = (v0 > level ? 1 : 0) | (v1 > level ? 2 : 0) | (v2 > level ? 4 : 0) | (v3 > level ? 8 : 0);
      if (code === 0 || code === 15) continue;
      const bottom = [col + cross(v0, v1), row];
      const right = [col + 1, row + cross(v1, v2)];
      const top = [col + cross(v3, v2), row + 1];
      const left = [col, row + cross(v0, v3)];
      const add = (a, b) => segs.push([a[0], a[1], b[0], b[1]]);
      const centreHigh = (v0 + v1 + v2 + v3) / 4 > level;
      switch (code) {
        case 1: case 14: add(left, bottom); break;
        case 2: case 13: add(bottom, right); break;
        case 3: case 12: add(left, right); break;
        case 4: case 11: add(right, top); break;
        case 6: case 9: add(bottom, top); break;
        case 7: case 8: add(left, top); break;
        case 5: if (centreHigh) { add(left, top); add(bottom, right); } else { add(left, bottom); add(right, top); } break;
        case 10: if (centreHigh) { add(left, bottom); add(right, top); } else { add(left, top); add(bottom, right); } break;
        default: break;
      }
    }
  }
  return segs;
}
