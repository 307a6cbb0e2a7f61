// kmq serve's before/after view: zoom and pan in step on both sides (one CSS
// transform for both stages), the divider in window coordinates (a clip on
// the compressed layer). Loaded before app.js; uses its $ and state when called.
'use strict';

// The zoom that fits the image in the viewer, but never under one device
// pixel across its short side: a 6000x1 strip fitted at 15 % draws nothing.
function fitZoom(img) {
  const viewer = $('viewer');
  const fits = Math.min(viewer.clientWidth / img.width, viewer.clientHeight / img.height);
  const thinnest = 1 / ((window.devicePixelRatio || 1) * Math.min(img.width, img.height));
  return { zoom: Math.max(fits, thinnest), thickened: thinnest > fits };
}

function fit() {
  const viewer = $('viewer');
  const img = state.current;
  if (!img) return;
  const { zoom, thickened } = fitZoom(img);
  state.zoom = zoom;
  state.panX = (viewer.clientWidth - img.width * state.zoom) / 2;
  state.panY = (viewer.clientHeight - img.height * state.zoom) / 2;
  applyView(thickened ? `${zoomPercent(zoom)} (fit, 1 px thick: pan for the rest)` : 'fit');
  state.fitted = true;  // a resized window fits it again
}

// From 2 % to 64x, widened to the fit of a huge or a tiny image; and never
// the wrong way: + never shrinks, - never grows.
function zoomAt(factor, cx, cy) {
  const viewer = $('viewer');
  if (!state.current) return;
  if (cx === undefined) { cx = viewer.clientWidth / 2; cy = viewer.clientHeight / 2; }
  const fits = fitZoom(state.current).zoom;
  const wanted = Math.min(Math.max(64, fits), Math.max(Math.min(0.02, fits), state.zoom * factor));
  const zoom = factor >= 1 ? Math.max(state.zoom, wanted) : Math.min(state.zoom, wanted);
  state.panX = cx - (cx - state.panX) * (zoom / state.zoom);
  state.panY = cy - (cy - state.panY) * (zoom / state.zoom);
  state.zoom = zoom;
  applyView();
}

const zoomPercent = (zoom) => `${(zoom * 100).toFixed(zoom < 1 ? 1 : 0)} %`;

// state.zoom is in the image's pixels; a canvas drawn smaller (canvasSize) is scaled up to match.
function applyView(label) {
  state.fitted = false;
  const img = state.current;
  const drawn = img ? canvasSize(img.width, img.height) : null;
  const sx = drawn ? state.zoom * img.width / drawn.width : state.zoom;
  const sy = drawn ? state.zoom * img.height / drawn.height : state.zoom;
  const transform = `translate(${state.panX}px, ${state.panY}px) scale(${sx === sy ? sx : `${sx}, ${sy}`})`;
  for (const stage of document.querySelectorAll('.stage')) stage.style.transform = transform;
  let text = label || zoomPercent(state.zoom);
  if (drawn && drawn.scale < 1) text += ` · drawn at 1:${(1 / drawn.scale).toFixed(2)}, over the browser's canvas limit`;
  $('zoom-label').textContent = text;
  placeDivider();
}

// Chromium draws nothing on a canvas over 65,535 px a side or 2^28 px in
// all (Firefox: 32,767 a side): a larger picture is drawn scaled down to fit
// them. The side's limit is tried once, on a canvas one pixel high.
let canvasMaxSide = null;
const canvasMaxArea = 2 ** 28;

function canvasSize(width, height) {
  if (canvasMaxSide === null) {
    const probe = document.createElement('canvas');
    probe.width = 65535;
    probe.height = 1;
    const ctx = probe.getContext('2d');
    ctx.fillRect(65534, 0, 1, 1);
    canvasMaxSide = ctx.getImageData(65534, 0, 1, 1).data[3] === 255 ? 65535 : 32767;
  }
  const scale = Math.min(1, canvasMaxSide / width, canvasMaxSide / height, Math.sqrt(canvasMaxArea / (width * height)));
  if (scale === 1) return { width, height, scale };
  return { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)), scale };
}

// Paints a width x height picture; source: its pixels as little-endian RGBA
// words (a Uint32Array), or a function of the pixel's index giving that word.
// Past the canvas's limits each canvas pixel is its nearest image pixel.
function paintCanvas(canvas, width, height, source) {
  const drawn = canvasSize(width, height);
  if (canvas.width !== drawn.width || canvas.height !== drawn.height) {
    canvas.width = drawn.width;
    canvas.height = drawn.height;
  }
  const ctx = canvas.getContext('2d');
  const out = ctx.createImageData(drawn.width, drawn.height);
  const out32 = new Uint32Array(out.data.buffer);
  const at = typeof source === 'function' ? source : (i) => source[i];
  if (drawn.scale === 1) {
    if (typeof source === 'function') for (let i = 0; i < out32.length; ++i) out32[i] = at(i);
    else out32.set(source);
  } else {
    const columns = new Uint32Array(drawn.width);
    for (let x = 0; x < drawn.width; ++x) columns[x] = Math.min(width - 1, Math.floor((x + 0.5) * width / drawn.width));
    for (let y = 0, o = 0; y < drawn.height; ++y) {
      const row = Math.min(height - 1, Math.floor((y + 0.5) * height / drawn.height)) * width;
      for (let x = 0; x < drawn.width; ++x) out32[o++] = at(row + columns[x]);
    }
  }
  ctx.putImageData(out, 0, 0);
}

function placeDivider() {
  const width = $('viewer').clientWidth;
  const x = Math.round(state.divider * width);
  // Each side clipped to its own: the original never shows through the
  // compressed side's transparent or translucent pixels.
  $('layer-original').style.clipPath = `inset(0 ${width - x}px 0 0)`;
  $('layer-compressed').style.clipPath = `inset(0 0 0 ${x}px)`;
  $('divider-line').style.left = `${x}px`;
}

function setupViewer() {
  const viewer = $('viewer');
  let drag = null;
  viewer.addEventListener('pointerdown', (e) => {
    const onDivider = e.target === $('divider-line');
    drag = { onDivider, x: e.clientX, y: e.clientY, panX: state.panX, panY: state.panY };
    viewer.setPointerCapture(e.pointerId);
    viewer.classList.add('dragging');
  });
  viewer.addEventListener('pointermove', (e) => {
    if (!drag) return;
    if (drag.onDivider) {
      const box = viewer.getBoundingClientRect();
      state.divider = Math.min(1, Math.max(0, (e.clientX - box.left) / box.width));
      $('divider').value = Math.round(state.divider * 100);
      placeDivider();
    } else if (state.zoom) {
      state.panX = drag.panX + e.clientX - drag.x;
      state.panY = drag.panY + e.clientY - drag.y;
      applyView();
    }
  });
  const end = () => { drag = null; viewer.classList.remove('dragging'); };
  viewer.addEventListener('pointerup', end);
  viewer.addEventListener('pointercancel', end);
  viewer.addEventListener('wheel', (e) => {
    if (!state.zoom) return;
    e.preventDefault();
    const box = viewer.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - box.left, e.clientY - box.top);
  }, { passive: false });
  viewer.addEventListener('keydown', (e) => {
    if (!state.zoom) return;
    const step = 40;
    const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[e.key]) { state.panX += moves[e.key][0]; state.panY += moves[e.key][1]; applyView(); }
    else if (e.key === '+' || e.key === '=') zoomAt(1.25);
    else if (e.key === '-') zoomAt(0.8);
    else if (e.key === '1') oneToOne();
    else if (e.key === '0') fit();
    else return;
    e.preventDefault();
  });
  $('divider').addEventListener('input', () => { state.divider = $('divider').value / 100; placeDivider(); });
  $('zoom-in').addEventListener('click', () => zoomAt(1.25));
  $('zoom-out').addEventListener('click', () => zoomAt(0.8));
  $('zoom-fit').addEventListener('click', fit);
  $('zoom-one').addEventListener('click', oneToOne);
  window.addEventListener('resize', () => {
    if (!state.zoom) return;
    if (state.fitted) fit(); else applyView();
  });
}

function oneToOne() {
  if (!state.zoom) return;
  zoomAt(1 / state.zoom);
  applyView('1:1');
}
