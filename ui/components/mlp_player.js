// The basics page's player: replays a finished training job in the browser.
// Data (from dl_core/basics/player.py): the weights after each recorded batch, the losses,
// the data split. Play / Step / Back / Reset / the scrubber redraw the decision boundary,
// every neuron's tile and the loss curves here, with no round trip to the server.
// The shown step, "step by" and speed go back to Python (and so into the URL) a moment after
// the visitor stops; a Step past the recorded end asks Python to train 20 more epochs.
// Preceded by mlp_math.js (forward, contour, lossOf, ...).

const GRID = 64; // boundary resolution (cells per side)
const TILE_GRID = 20; // neuron tiles' resolution

// Material Symbols shapes (24 × 24), drawn in the text colour.
const svg = (d) => `<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="currentColor" d="${d}"/></svg>`;
const ICONS = {
  play: svg("M8 5v14l11-7z"),
  pause: svg("M6 19h4V5H6v14zm8-14v14h4V5h-4z"),
  step: svg("M6 18l8.5-6L6 6v12zM16 6v12h2V6h-2z"),
  back: svg("M6 6h2v12H6zm3.5 6l8.5 6V6z"),
  reset: svg("M12 5V1L7 6l5 5V7c3.31 0 6 2.69 6 6s-2.69 6-6 6-6-2.69-6-6H4c0 4.42 3.58 8 8 8s8-3.58 8-8-3.58-8-8-8z"),
};

const HTML = `
<div class="dlx">
  <div class="bar">
    <button data-act="play" title="Play through the recorded epochs (space)">${ICONS.play}<span>Play</span></button>
    <button data-act="back" title="One step back (←)">${ICONS.back}<span>Back</span></button>
    <button data-act="step" title="One step forward (→); at the end, trains 20 more epochs">${ICONS.step}<span>Step</span></button>
    <button data-act="reset" title="Back to the initial weights (Home)">${ICONS.reset}<span>Reset</span></button>
    <label>Step by <select data-ctl="by"><option value="epoch">epoch</option><option value="batch">batch</option></select></label>
    <label>Speed <select data-ctl="speed">
      <option value="2">2 epochs/s</option><option value="5">5 epochs/s</option>
      <option value="10">10 epochs/s</option><option value="30">30 epochs/s</option>
      <option value="0">as fast as it draws</option></select></label>
  </div>
  <input type="range" data-ctl="scrub" min="0" value="0" aria-label="Recorded step">
  <div class="stats" data-out="stats"></div>
  <div class="row">
    <div class="cell"><canvas data-out="plane"></canvas>
      <div class="cap" data-out="planecap"></div></div>
    <div class="cell"><canvas data-out="net"></canvas>
      <div class="cap">Each tile: one neuron's output over the plane (scaled to its own range); hover one to see it large on the left. Lines: weights, orange positive, purple negative, thicker = larger.</div></div>
  </div>
  <canvas data-out="loss"></canvas>
  <div class="tip" data-out="tip"></div>
</div>`;

// Text for innerHTML (class names come from visitors' CSV files).
function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(v, digits = 3) {
  return Number.isFinite(v) ? v.toFixed(digits) : "–";
}

// A canvas drawn at w × h CSS pixels, sharp on high-density screens.
function sizedContext(c, w, h) {
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.round(w * dpr);
  c.height = Math.round(h * dpr);
  c.style.width = `${w}px`;
  c.style.height = `${h}px`;
  const ctx = c.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

function lutColour(lut, v, lo, hi) {
  const k = Math.max(0, Math.min(255, Math.round(((v - lo) / (hi - lo)) * 255))) * 4;
  return [lut[k], lut[k + 1], lut[k + 2]];
}

// Text, line and paper colours from the page's theme: the root's CSS colour follows Streamlit's
// light or dark theme, so the canvases do too.
function themeInk(el) {
  const style = getComputedStyle(el);
  const rgb = ((style.color || "").match(/\d+(\.\d+)?/g) || [49, 51, 63]).slice(0, 3).join(", ");
  const paper = style.getPropertyValue("--st-background-color").trim() || "white";
  return { text: `rgb(${rgb})`, muted: `rgba(${rgb}, 0.78)`, faint: `rgba(${rgb}, 0.35)`, paper };
}

// The plane: an optional surface (r*r values, row 0 at the bottom) as the background, its 0.5
// contour, training points (circles), test points (crosses) and clicked points (ringed).
// Returns the mapping between plane coordinates and canvas pixels.
function drawPlane(ctx, S, o) {
  const m = { l: 34, r: 8, t: 8, b: 26 };
  const w = S - m.l - m.r, h = S - m.t - m.b;
  const [elo, ehi] = o.extent;
  const px = (x) => m.l + ((x - elo) / (ehi - elo)) * w;
  const py = (y) => m.t + h - ((y - elo) / (ehi - elo)) * h;
  const invert = (X, Y) => [elo + ((X - m.l) / w) * (ehi - elo), elo + ((m.t + h - Y) / h) * (ehi - elo)];
  ctx.clearRect(0, 0, S, S);
  const ink = o.ink || { text: "#31333f", faint: "#999", paper: "white" };
  ctx.fillStyle = ink.paper;
  ctx.fillRect(m.l, m.t, w, h);
  if (o.surface) {
    const r = Math.round(Math.sqrt(o.surface.length));
    const img = new ImageData(r, r);
    for (let row = 0; row < r; row++) {
      for (let col = 0; col < r; col++) {
        const [cr, cg, cb] = lutColour(o.lut, o.surface[row * r + col], o.lo, o.hi);
        const k = 4 * ((r - 1 - row) * r + col);
        img.data[k] = cr; img.data[k + 1] = cg; img.data[k + 2] = cb; img.data[k + 3] = 205;
      }
    }
    const off = (drawPlane.off = drawPlane.off || document.createElement("canvas"));
    off.width = r; off.height = r;
    off.getContext("2d").putImageData(img, 0, 0);
    // the grid's cell centres span the extent: stretch by half a cell on each side
    const cw = w / (r - 1), ch = h / (r - 1);
    ctx.save();
    ctx.beginPath(); ctx.rect(m.l, m.t, w, h); ctx.clip();
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, m.l - cw / 2, m.t - ch / 2, w + cw, h + ch);
    if (o.boundary) {
      ctx.strokeStyle = "black"; ctx.lineWidth = 2; ctx.beginPath();
      for (const [c0, r0, c1, r1] of contour(o.surface, r, 0.5)) {
        ctx.moveTo(m.l + c0 * cw, m.t + h - r0 * ch);
        ctx.lineTo(m.l + c1 * cw, m.t + h - r1 * ch);
      }
      ctx.stroke();
    }
    ctx.restore();
  }
  const colourOf = (t) => (o.cls ? o.colours[t > 0.5 ? 1 : 0] : `rgb(${lutColour(o.lut, t, -1, 1).join(",")})`);
  ctx.lineWidth = 1;
  for (let i = 0; i < o.yTrain.length; i++) {
    ctx.beginPath();
    ctx.arc(px(o.xTrain[2 * i]), py(o.xTrain[2 * i + 1]), 3.6, 0, 2 * Math.PI);
    ctx.fillStyle = colourOf(o.yTrain[i]); ctx.fill();
    ctx.strokeStyle = o.cls ? "white" : "black"; ctx.stroke();
  }
  ctx.lineWidth = 2;
  for (let i = 0; i < o.yTest.length; i++) {
    const x = px(o.xTest[2 * i]), y = py(o.xTest[2 * i + 1]);
    const cross = (colour, width) => {
      ctx.strokeStyle = colour; ctx.lineWidth = width; ctx.beginPath();
      ctx.moveTo(x - 3.5, y - 3.5); ctx.lineTo(x + 3.5, y + 3.5);
      ctx.moveTo(x - 3.5, y + 3.5); ctx.lineTo(x + 3.5, y - 3.5); ctx.stroke();
    };
    if (!o.cls) cross("black", 3.6); // values near 0 are pale: outline them
    cross(colourOf(o.yTest[i]), 2);
  }
  for (const [x, y, t] of o.added) {
    ctx.beginPath(); ctx.arc(px(x), py(y), 5, 0, 2 * Math.PI);
    ctx.fillStyle = colourOf(t); ctx.fill();
    ctx.strokeStyle = "black"; ctx.lineWidth = 1.5; ctx.stroke();
  }
  ctx.strokeStyle = ink.faint; ctx.lineWidth = 1; ctx.strokeRect(m.l, m.t, w, h);
  ctx.fillStyle = ink.text; ctx.font = "11px sans-serif";
  for (const v of [-1, -0.5, 0, 0.5, 1]) {
    ctx.textAlign = "center"; ctx.textBaseline = "top"; ctx.fillText(String(v), px(v), m.t + h + 4);
    ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.fillText(String(v), m.l - 4, py(v));
  }
  return { px, py, invert, inside: (X, Y) => X >= m.l && X <= m.l + w && Y >= m.t && Y <= m.t + h };
}

class Player {
  constructor(host, data) {
    host.innerHTML = HTML;
    this.root = host.querySelector(".dlx");
    this.$ = (sel) => this.root.querySelector(sel);
    this.setData(data);
    this.index = data.start || 0;
    this.by = data.by || "epoch";
    this.speed = data.speed ?? 10;
    this.hover = null; // [layer, neuron] shown large on the plane
    this.frames = 0;
    this.bind();
    this.resize = new ResizeObserver(() => this.layout());
    this.resize.observe(this.root);
    this.layout();
    if (data.playing) this.play();
  }

  setData(d) {
    this.d = d;
    this.cls = d.task === "classification";
    this.params = decodeFloats(d.params);
    this.n = d.steps.length;
    this.lut = decodeBytes(d.lut);
    this.xTrain = Float32Array.from(d.xTrain);
    this.xTest = Float32Array.from(d.xTest);
    this.grid = gridPoints(GRID, d.extent[0], d.extent[1]);
    this.tileGrid = gridPoints(TILE_GRID, d.extent[0], d.extent[1]);
    this.lastEpoch = d.steps[this.n - 1] / d.spe;
    const finite = d.trainLoss.concat(d.testLoss).filter(Number.isFinite).sort((a, b) => a - b);
    this.lossMax = (finite[Math.floor(0.98 * (finite.length - 1))] || 1) * 1.1;
  }

  bind() {
    this.root.addEventListener("click", (e) => {
      const act = e.target.closest("button")?.dataset.act;
      if (act === "play") this.playing ? this.pause() : this.play();
      else if (act === "step") this.step(+1);
      else if (act === "back") this.step(-1);
      else if (act === "reset") { this.pause(); this.show(0); }
    });
    // keys while the player has focus: space Play/Pause, → Step, ← Back, Home Reset
    this.root.tabIndex = 0;
    this.root.addEventListener("keydown", (e) => {
      if (e.target.tagName === "SELECT" || e.target.tagName === "INPUT") return;
      if (e.target.tagName === "BUTTON" && (e.key === " " || e.key === "Enter")) return; // clicks it
      const act = { " ": "play", ArrowRight: "step", ArrowLeft: "back", Home: "reset" }[e.key];
      if (!act) return;
      e.preventDefault();
      this.$(`[data-act="${act}"]`).click();
    });
    const by = this.$('[data-ctl="by"]');
    by.value = this.by;
    by.onchange = () => { this.by = by.value; this.report(); };
    const speed = this.$('[data-ctl="speed"]');
    speed.value = String(this.speed);
    speed.onchange = () => { this.speed = +speed.value; this.report(); };
    const scrub = this.$('[data-ctl="scrub"]');
    scrub.max = String(this.n - 1);
    scrub.value = String(this.index); // a link's step: the thumb starts where the view is
    scrub.oninput = () => { this.pause(); this.show(+scrub.value); };
    const net = this.$('[data-out="net"]');
    net.onmousemove = (e) => this.netHover(e);
    net.onmouseleave = () => { this.hover = null; this.hideTip(); this.draw(); };
    const loss = this.$('[data-out="loss"]');
    const seek = (e) => {
      if (!(e.buttons & 1) && e.type !== "click") return;
      const epoch = this.lossX.invert(e.offsetX);
      this.pause();
      this.show(this.indexOfEpoch(epoch));
    };
    loss.onclick = seek;
    loss.onmousemove = seek;
  }

  // --- time --------------------------------------------------------------------------------
  epochAt(i) { return this.d.steps[i] / this.d.spe; }

  indexOfEpoch(epoch) {
    let best = 0;
    for (let i = 0; i < this.n; i++) if (Math.abs(this.epochAt(i) - epoch) < Math.abs(this.epochAt(best) - epoch)) best = i;
    return best;
  }

  // The snapshot one batch or one epoch after (dir=+1) or before (dir=-1) index i.
  neighbour(i, dir, by) {
    const { steps, spe } = this.d;
    if (by === "batch") return Math.min(this.n - 1, Math.max(0, i + dir));
    if (dir > 0) {
      const target = (Math.floor(steps[i] / spe) + 1) * spe;
      for (let k = i + 1; k < this.n; k++) if (steps[k] >= target) return k;
      return this.n - 1;
    }
    const target = (Math.ceil(steps[i] / spe) - 1) * spe;
    for (let k = i - 1; k >= 0; k--) if (steps[k] <= target) return k;
    return 0;
  }

  step(dir) {
    this.pause();
    if (dir > 0 && this.index >= this.n - 1) {
      if (this.d.canExtend && this.api) {
        clearTimeout(this.reportTimer);
        this.$('[data-out="stats"]').textContent = "End of the recording: training 20 more epochs…";
        this.api.setTriggerValue("extend", this.index);
      }
      return;
    }
    this.show(this.neighbour(this.index, dir, this.by));
  }

  play() {
    if (this.playing) return;
    if (this.index >= this.n - 1) this.show(0); // Play at the end starts again
    this.playing = true;
    this.$('[data-act="play"]').innerHTML = `${ICONS.pause}<span>Pause</span>`;
    this.report(0); // Play and Pause go into the link at once; steps once the visitor stops
    let last = 0;
    const tick = (now) => {
      if (!this.playing) return;
      if (!this.speed || now - last >= 1000 / this.speed) {
        last = now;
        this.show(this.neighbour(this.index, +1, "epoch"), false);
        if (this.index >= this.n - 1) { this.pause(); return; }
      }
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this.raf);
    this.$('[data-act="play"]').innerHTML = `${ICONS.play}<span>Play</span>`;
    this.report(0);
  }

  show(i, report = true) {
    this.index = Math.min(this.n - 1, Math.max(0, i));
    this.$('[data-ctl="scrub"]').value = String(this.index);
    this.draw();
    if (report) this.report();
  }

  // Tell Python (and so the URL) where we are, once the visitor has stopped for a moment.
  report(wait = 700) {
    clearTimeout(this.reportTimer);
    this.reportTimer = setTimeout(() => {
      if (!this.api) return;
      const state = { id: this.d.id, step: this.index, by: this.by, speed: this.speed, playing: !!this.playing };
      const key = JSON.stringify(state);
      if (key !== this.reported) {
        this.reported = key;
        this.api.setStateValue("view", state);
      }
    }, wait);
  }

  // --- drawing -----------------------------------------------------------------------------
  canvas(name, w, h) {
    return sizedContext(this.$(`[data-out="${name}"]`), w, h);
  }

  layout() {
    const width = Math.max(320, this.root.clientWidth || 700);
    const half = width >= 640 ? Math.floor((width - 24) / 2) : width;
    this.planeSize = Math.min(half, 440);
    this.netW = half;
    this.netH = this.planeSize;
    this.lossW = width;
    this.lossH = 170;
    this.ctxPlane = this.canvas("plane", this.planeSize, this.planeSize);
    this.ctxNet = this.canvas("net", this.netW, this.netH);
    this.ctxLoss = this.canvas("loss", this.lossW, this.lossH);
    this.draw();
  }

  colour(v, lo, hi) {
    return lutColour(this.lut, v, lo, hi);
  }

  draw() {
    if (!this.ctxPlane) return;
    const t0 = performance.now();
    const d = this.d;
    const flat = this.params.subarray(this.index * d.nParams, (this.index + 1) * d.nParams);
    const layers = unpack(flat, d.layout);
    const fwd = (xy) => forward(layers, d.features, d.activation, this.cls, xy);
    const predTrain = fwd(this.xTrain).at(-1);
    const predTest = fwd(this.xTest).at(-1);
    const tiles = fwd(this.tileGrid);
    let surface, lo = this.cls ? 0 : -1, hi = 1, caption;
    if (this.hover) {
      const [l, j] = this.hover;
      const outs = fwd(this.grid)[l];
      const width = l === 0 ? d.features.length : d.layout[2 * (l - 1)][1];
      surface = new Float32Array(GRID * GRID);
      let m = 1e-9;
      for (let p = 0; p < surface.length; p++) { surface[p] = outs[p * width + j]; m = Math.max(m, Math.abs(surface[p])); }
      lo = -m; hi = m;
      caption = `Showing ${this.neuronName(l, j)} alone (range ±${fmt(m, 2)}). Move the mouse away for the network's output.`;
    } else {
      surface = fwd(this.grid).at(-1);
      caption = this.cls
        ? "Background: P(class 1) at every point (purple = class 0, orange = class 1); black line: the decision boundary; ○ train, × test."
        : "Background: the network's output at every point; ○ train, × test, coloured by their target.";
    }
    this.drawPlane(surface, lo, hi, !this.hover && this.cls);
    this.$('[data-out="planecap"]').textContent = caption;
    this.drawNet(layers, tiles);
    this.drawLoss();
    const parts = [`<b>Epoch ${fmt(this.epochAt(this.index), 2)}</b> (batch ${d.steps[this.index]})`,
      `train loss ${fmt(lossOf(predTrain, d.yTrain, d.loss))}`, `test loss ${fmt(lossOf(predTest, d.yTest, d.loss))}`];
    if (this.cls) parts.push(`train accuracy ${fmt(accuracyOf(predTrain, d.yTrain))}`, `test accuracy ${fmt(accuracyOf(predTest, d.yTest))}`);
    const end = this.index >= this.n - 1 ? (d.canExtend ? " · end of the recording: Step trains 20 more epochs" : " · end of the recording") : "";
    this.$('[data-out="stats"]').innerHTML = parts.join(" · ") + end;
    this.frames += 1;
    this.root.dataset.frames = String(this.frames);
    this.root.dataset.index = String(this.index);
    this.root.dataset.drawMs = fmt(performance.now() - t0, 1);
  }

  neuronName(l, j) {
    if (l === 0) return `input ${this.d.features[j]}`;
    return l === this.d.layout.length / 2 ? "the output neuron" : `neuron ${j + 1} of hidden layer ${l}`;
  }

  drawPlane(surface, lo, hi, boundary) {
    const d = this.d;
    drawPlane(this.ctxPlane, this.planeSize, {
      extent: d.extent, lut: this.lut, colours: d.colours, cls: this.cls, surface, lo, hi, boundary,
      xTrain: this.xTrain, yTrain: d.yTrain, xTest: this.xTest, yTest: d.yTest, added: d.added || [],
      ink: themeInk(this.root),
    });
  }

  drawNet(layers, outs) {
    const ctx = this.ctxNet, W = this.netW, H = this.netH, d = this.d;
    const ink = themeInk(this.root);
    ctx.clearRect(0, 0, W, H);
    const sizes = outs.map((o) => o.length / (TILE_GRID * TILE_GRID));
    const rows = Math.max(...sizes);
    const top = 22, left = 46;
    const T = Math.max(12, Math.min(44, Math.floor((H - top - 4) / (rows * 1.3))));
    const gapX = (W - left - 8 - sizes.length * T) / Math.max(1, sizes.length - 1);
    const boxes = sizes.map((n, l) => {
      const x = left + l * (T + gapX);
      const y0 = top + ((rows - n) * T * 1.3) / 2;
      return Array.from({ length: n }, (_, j) => ({ x, y: y0 + j * T * 1.3, l, j }));
    });
    this.boxes = boxes.flat();
    this.tile = T;
    // weights
    let big = 1e-9;
    for (const { w } of layers) for (const v of w) big = Math.max(big, Math.abs(v));
    this.links = [];
    layers.forEach(({ w, nIn, nOut }, l) => {
      for (let i = 0; i < nIn; i++) {
        for (let j = 0; j < nOut; j++) {
          const v = w[i * nOut + j], a = boxes[l][i], b = boxes[l + 1][j];
          ctx.strokeStyle = d.colours[v > 0 ? 1 : 0];
          ctx.globalAlpha = 0.3 + 0.6 * Math.abs(v) / big;
          ctx.lineWidth = 0.5 + 6 * Math.abs(v) / big;
          ctx.beginPath(); ctx.moveTo(a.x + T, a.y + T / 2); ctx.lineTo(b.x, b.y + T / 2); ctx.stroke();
          this.links.push({ x0: a.x + T, y0: a.y + T / 2, x1: b.x, y1: b.y + T / 2, v, l, i, j });
        }
      }
    });
    ctx.globalAlpha = 1;
    // tiles: each neuron's output over the plane, scaled to its own range
    const img = new ImageData(TILE_GRID, TILE_GRID);
    this.tileCanvas = this.tileCanvas || document.createElement("canvas");
    this.tileCanvas.width = TILE_GRID; this.tileCanvas.height = TILE_GRID;
    const tctx = this.tileCanvas.getContext("2d");
    outs.forEach((o, l) => {
      const n = sizes[l];
      for (let j = 0; j < n; j++) {
        let m = 1e-9;
        for (let p = 0; p < TILE_GRID * TILE_GRID; p++) m = Math.max(m, Math.abs(o[p * n + j]));
        for (let row = 0; row < TILE_GRID; row++) {
          for (let col = 0; col < TILE_GRID; col++) {
            const [r, g, b] = this.colour(o[(row * TILE_GRID + col) * n + j], -m, m);
            const k = 4 * ((TILE_GRID - 1 - row) * TILE_GRID + col);
            img.data[k] = r; img.data[k + 1] = g; img.data[k + 2] = b; img.data[k + 3] = 255;
          }
        }
        tctx.putImageData(img, 0, 0);
        const { x, y } = boxes[l][j];
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(this.tileCanvas, x, y, T, T);
        const on = this.hover && this.hover[0] === l && this.hover[1] === j;
        ctx.strokeStyle = on ? ink.text : ink.faint; ctx.lineWidth = on ? 2 : 1;
        ctx.strokeRect(x, y, T, T);
      }
    });
    ctx.fillStyle = ink.text; ctx.font = "12px sans-serif"; ctx.textAlign = "right"; ctx.textBaseline = "middle";
    boxes[0].forEach(({ x, y }, j) => ctx.fillText(d.features[j], x - 4, y + T / 2));
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    const names = sizes.map((n, l) => (l === 0 ? "inputs" : l === sizes.length - 1 ? "output" : `hidden ${l}`));
    names.forEach((name, l) => ctx.fillText(name, boxes[l][0].x + T / 2, 2));
  }

  netHover(e) {
    const { offsetX: x, offsetY: y } = e, T = this.tile;
    const box = (this.boxes || []).find((b) => x >= b.x && x <= b.x + T && y >= b.y && y <= b.y + T);
    const key = box ? `${box.l},${box.j}` : null;
    if (key !== (this.hover && this.hover.join(","))) {
      this.hover = box ? [box.l, box.j] : null;
      this.draw();
    }
    if (box) return this.showTip(e, this.neuronName(box.l, box.j));
    // nearest weight line within 4 px
    let best = null, dist = 4;
    for (const k of this.links || []) {
      const dx = k.x1 - k.x0, dy = k.y1 - k.y0;
      const t = Math.max(0, Math.min(1, ((x - k.x0) * dx + (y - k.y0) * dy) / (dx * dx + dy * dy)));
      const dd = Math.hypot(x - (k.x0 + t * dx), y - (k.y0 + t * dy));
      if (dd < dist) { dist = dd; best = k; }
    }
    if (best) this.showTip(e, `weight ${this.neuronName(best.l, best.i)} → ${this.neuronName(best.l + 1, best.j)}: ${fmt(best.v)}`);
    else this.hideTip();
  }

  showTip(e, text) {
    const tip = this.$('[data-out="tip"]');
    const r = this.root.getBoundingClientRect();
    tip.textContent = text;
    tip.style.left = `${e.clientX - r.left + 12}px`;
    tip.style.top = `${e.clientY - r.top + 12}px`;
    tip.style.display = "block";
  }

  hideTip() { this.$('[data-out="tip"]').style.display = "none"; }

  drawLoss() {
    const ctx = this.ctxLoss, W = this.lossW, H = this.lossH, d = this.d;
    const m = { l: 44, r: 110, t: 10, b: 28 };
    const w = W - m.l - m.r, h = H - m.t - m.b;
    const X = (e) => m.l + (e / Math.max(1e-9, this.lastEpoch)) * w;
    X.invert = (px) => ((px - m.l) / w) * this.lastEpoch;
    this.lossX = X;
    const Y = (v) => m.t + h - (Math.min(v, this.lossMax) / this.lossMax) * h;
    ctx.clearRect(0, 0, W, H);
    const ink = themeInk(this.root);
    ctx.strokeStyle = ink.faint; ctx.lineWidth = 1; ctx.fillStyle = ink.text; ctx.font = "11px sans-serif";
    for (let k = 0; k <= 4; k++) {
      const v = (this.lossMax * k) / 4;
      ctx.beginPath(); ctx.moveTo(m.l, Y(v)); ctx.lineTo(m.l + w, Y(v)); ctx.stroke();
      ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.fillText(fmt(v, 2), m.l - 4, Y(v));
    }
    const ticks = Math.min(10, Math.ceil(this.lastEpoch));
    for (let k = 0; k <= ticks; k++) {
      const e = (this.lastEpoch * k) / ticks;
      ctx.textAlign = "center"; ctx.textBaseline = "top"; ctx.fillText(fmt(e, e % 1 ? 1 : 0), X(e), m.t + h + 4);
    }
    ctx.fillText("epoch", m.l + w / 2, m.t + h + 15);
    const curve = (values, colour, dash) => {
      ctx.strokeStyle = colour; ctx.lineWidth = 2; ctx.setLineDash(dash); ctx.beginPath();
      for (let i = 0; i <= this.index; i++) {
        const x = X(this.epochAt(i)), y = Y(values[i]);
        i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      }
      ctx.stroke(); ctx.setLineDash([]);
    };
    curve(d.trainLoss, "#0072B2", []);
    curve(d.testLoss, "#E69F00", [5, 4]);
    ctx.strokeStyle = ink.text; ctx.setLineDash([2, 3]); ctx.beginPath();
    ctx.moveTo(X(this.epochAt(this.index)), m.t); ctx.lineTo(X(this.epochAt(this.index)), m.t + h); ctx.stroke();
    ctx.setLineDash([]);
    ctx.textAlign = "left"; ctx.textBaseline = "middle";
    [["train loss", "#0072B2", []], ["test loss", "#E69F00", [5, 4]]].forEach(([name, colour, dash], k) => {
      const y = m.t + 10 + 18 * k;
      ctx.strokeStyle = colour; ctx.lineWidth = 2; ctx.setLineDash(dash);
      ctx.beginPath(); ctx.moveTo(m.l + w + 12, y); ctx.lineTo(m.l + w + 34, y); ctx.stroke(); ctx.setLineDash([]);
      ctx.fillStyle = ink.text; ctx.fillText(name, m.l + w + 40, y);
    });
    ctx.fillStyle = ink.muted;
    ctx.fillText("click or drag to seek", m.l + w + 12, m.t + h - 4);
  }

  destroy() {
    this.playing = false;
    cancelAnimationFrame(this.raf);
    clearTimeout(this.reportTimer);
    this.resize.disconnect();
  }
}

// The data editor: the plane with the data (and the trained network's output, when there is
// one); a click adds a training point of the chosen class. The list goes back to Python
// (and into the link) half a second after the last click.
class Editor {
  constructor(host, data) {
    const cls = data.task === "classification";
    const names = (cls ? data.classNames : ["−1", "+1"]).map(esc);
    const kind = cls ? "class" : "value";
    host.innerHTML = `
<div class="dlx">
  <div class="bar">
    <span>Click the plane to add a training point with ${kind}</span>
    <label><input type="radio" name="t" value="0" checked><b style="color:${data.colours[0]}">●</b> ${names[0]}</label>
    <label><input type="radio" name="t" value="1"><b style="color:${data.colours[1]}">●</b> ${names[1]}</label>
    <button data-act="undo" title="Remove the last added point">${ICONS.back}<span>Undo</span></button>
    <button data-act="clear" title="Remove every added point">${ICONS.reset}<span>Clear added points</span></button>
  </div>
  <canvas data-out="plane" tabindex="0" role="application"></canvas>
  <div class="cap" data-out="cap" role="status" aria-live="polite"></div>
</div>`;
    this.root = host.querySelector(".dlx");
    this.$ = (sel) => this.root.querySelector(sel);
    this.d = data;
    this.cls = cls;
    this.lut = decodeBytes(data.lut);
    this.surface = data.surface ? decodeFloats(data.surface) : null;
    this.xTrain = Float32Array.from(data.xTrain);
    this.xTest = Float32Array.from(data.xTest);
    this.added = (data.added || []).map((p) => p.slice());
    this.seen = JSON.stringify(data.added || []);
    this.root.addEventListener("click", (e) => {
      const act = e.target.closest("button")?.dataset.act;
      if (act === "undo") { this.added.pop(); this.changed(); }
      if (act === "clear") { this.added = []; this.changed(); }
    });
    const plane = this.$('[data-out="plane"]');
    plane.style.cursor = "crosshair";
    const add = (x, y) => {
      if (this.added.length >= data.max) return this.caption(`At most ${data.max} points can be added.`);
      const pick = +this.root.querySelector('input[name="t"]:checked').value;
      const t = cls ? pick : pick ? 1 : -1;
      this.added.push([Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000, t]);
      this.changed();
    };
    plane.onclick = (e) => {
      if (!this.map || !this.map.inside(e.offsetX, e.offsetY)) return;
      add(...this.map.invert(e.offsetX, e.offsetY));
    };
    // The keyboard: arrows move a cursor on the plane (Shift: faster), Enter or Space adds a
    // point there, Backspace undoes the last one.
    plane.setAttribute("aria-label", `The data plane. Arrow keys move a cursor, Shift moves it faster; `
      + `Enter or Space adds a training point with the chosen ${kind} at the cursor; Backspace removes the last one.`);
    const [elo, ehi] = data.extent;
    this.cursor = [(elo + ehi) / 2, (elo + ehi) / 2];
    plane.onkeydown = (e) => {
      const move = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[e.key];
      if (move) {
        const step = (e.shiftKey ? 0.1 : 0.025) * (ehi - elo);
        const clamp = (v) => Math.min(ehi, Math.max(elo, v));
        this.cursor = [clamp(this.cursor[0] + move[0] * step), clamp(this.cursor[1] + move[1] * step)];
        this.draw();
        this.caption(`Cursor at x ${fmt(this.cursor[0], 2)}, y ${fmt(this.cursor[1], 2)}.`);
      } else if (e.key === "Enter" || e.key === " ") {
        add(...this.cursor);
      } else if (e.key === "Backspace") {
        this.added.pop(); this.changed();
      } else return;
      e.preventDefault();
    };
    plane.onfocus = plane.onblur = () => this.draw();
    this.resize = new ResizeObserver(() => this.draw());
    this.resize.observe(this.root);
    this.draw();
  }

  update(data) {
    const incoming = JSON.stringify(data.added || []);
    if (incoming !== this.seen) { // the page changed them (a preset, a shared link)
      this.seen = incoming;
      if (incoming !== JSON.stringify(this.added)) { this.added = (data.added || []).map((p) => p.slice()); this.draw(); }
    }
  }

  changed() {
    this.draw();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.api && this.api.setStateValue("added", this.added), 500);
  }

  caption(text) { this.$('[data-out="cap"]').textContent = text; }

  draw() {
    const S = Math.min(480, Math.max(280, this.root.clientWidth || 480));
    const ctx = sizedContext(this.$('[data-out="plane"]'), S, S);
    const d = this.d;
    this.map = drawPlane(ctx, S, {
      extent: d.extent, lut: this.lut, colours: d.colours, cls: this.cls, surface: this.surface,
      lo: this.cls ? 0 : -1, hi: 1, boundary: this.cls && !!this.surface,
      xTrain: this.xTrain, yTrain: d.yTrain, xTest: this.xTest, yTest: d.yTest,
      added: this.added, ink: themeInk(this.root),
    });
    const plane = this.$('[data-out="plane"]');
    if (document.activeElement === plane || plane.getRootNode().activeElement === plane) {
      const x = this.map.px(this.cursor[0]), y = this.map.py(this.cursor[1]);
      ctx.strokeStyle = "#E69F00"; ctx.lineWidth = 2.5;
      ctx.beginPath(); ctx.arc(x, y, 8, 0, 2 * Math.PI);
      ctx.moveTo(x - 13, y); ctx.lineTo(x - 4, y); ctx.moveTo(x + 4, y); ctx.lineTo(x + 13, y);
      ctx.moveTo(x, y - 13); ctx.lineTo(x, y - 4); ctx.moveTo(x, y + 4); ctx.lineTo(x, y + 13);
      ctx.stroke();
    }
    const n = this.added.length;
    this.caption((this.surface ? "Background: the trained network's output after its last epoch. " : "")
      + `○ training points, × test points, ringed: the ${n} point${n === 1 ? "" : "s"} you added (training points).`
      + (n ? " Press Train to fit the network with them." : ""));
    this.root.dataset.added = String(n);
  }

  destroy() { clearTimeout(this.timer); this.resize.disconnect(); }
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  const Kind = data.mode === "edit" ? Editor : Player;
  let player = parentElement.__dlxPlayer;
  if (!player || !(player instanceof Kind) || player.d.id !== data.id) {
    if (player) player.destroy();
    let host = parentElement.querySelector(".dlx-host");
    if (!host) {
      host = document.createElement("div");
      host.className = "dlx-host";
      parentElement.appendChild(host);
    }
    player = parentElement.__dlxPlayer = new Kind(host, data);
  } else if (player instanceof Editor) {
    player.update(data);
  } else {
    player.d.canExtend = data.canExtend;
  }
  player.api = { setStateValue, setTriggerValue };
  return () => {
    player.destroy();
    parentElement.__dlxPlayer = null;
  };
}
