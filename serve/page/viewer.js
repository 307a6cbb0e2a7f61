// kmq serve's before/after view: zoom and pan in step on both sides (one CSS
// transform for both stages), the divider in window coordinates (a clip on
// the compressed layer). Loaded before app.js; uses its $ and state when called.
'use strict';

function fit() {
  const viewer = $('viewer');
  const img = state.current;
  if (!img) return;
  state.zoom = Math.min(viewer.clientWidth / img.width, viewer.clientHeight / img.height);
  state.panX = (viewer.clientWidth - img.width * state.zoom) / 2;
  state.panY = (viewer.clientHeight - img.height * state.zoom) / 2;
  applyView('fit');
  state.fitted = true;  // a resized window fits it again
}

function zoomAt(factor, cx, cy) {
  const viewer = $('viewer');
  if (!state.current) return;
  if (cx === undefined) { cx = viewer.clientWidth / 2; cy = viewer.clientHeight / 2; }
  const zoom = Math.min(64, Math.max(0.02, state.zoom * factor));
  state.panX = cx - (cx - state.panX) * (zoom / state.zoom);
  state.panY = cy - (cy - state.panY) * (zoom / state.zoom);
  state.zoom = zoom;
  applyView();
}

function applyView(label) {
  state.fitted = false;
  const transform = `translate(${state.panX}px, ${state.panY}px) scale(${state.zoom})`;
  for (const stage of document.querySelectorAll('.stage')) stage.style.transform = transform;
  $('zoom-label').textContent = label || `${(state.zoom * 100).toFixed(state.zoom < 1 ? 1 : 0)} %`;
  placeDivider();
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
