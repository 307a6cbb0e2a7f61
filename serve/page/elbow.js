// kmq serve's error-against-K chart (the curve of kmq compress --elbow): the
// PSNR of the palette for K = 2, 4, ... 256 on a logarithmic K axis, the
// levels' targets as dashed lines, the K on screen as a rule. Each point is a
// button that picks its K. Loaded before app.js; uses its $, state, check and
// pickK when called. The curve is asked for once an image's chart is opened,
// then follows the image on screen (the server keeps each image's curve).
'use strict';

const svgNS = 'http://www.w3.org/2000/svg';
const elbowBox = { width: 320, height: 210, left: 38, right: 12, top: 12, bottom: 34 };

function svgElement(name, attributes, text) {
  const el = document.createElementNS(svgNS, name);
  for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

// The y range: the points and the levels' targets, widened to multiples of
// 5 dB; a lossless point (PSNR infinite) gets a row of its own above them.
function elbowRange(points, levels) {
  const values = points.filter((p) => p.psnr !== null).map((p) => p.psnr).concat(levels.map((l) => l.psnr));
  const lo = Math.floor(Math.min(...values) / 5) * 5;
  let hi = Math.ceil(Math.max(...values) / 5) * 5;
  if (hi - lo < 5) hi = lo + 5;
  const lossless = points.some((p) => p.psnr === null);
  return { lo, hi: lossless ? hi + 5 : hi, lossless };
}

// Draws the curve into the svg; markK: the K on screen (null: no rule).
function drawElbow(svg, data, markK) {
  svg.replaceChildren();
  const b = elbowBox;
  svg.setAttribute('viewBox', `0 0 ${b.width} ${b.height}`);
  const points = data.points;
  if (points.length === 0) return;
  const kLo = points[0].k, kHi = points.length > 1 ? points[points.length - 1].k : kLo * 2;
  const { lo, hi, lossless } = elbowRange(points, data.levels);
  const x = (k) => b.left + (Math.log2(k) - Math.log2(kLo)) / (Math.log2(kHi) - Math.log2(kLo)) * (b.width - b.left - b.right);
  const y = (psnr) => b.top + (hi - (psnr === null ? hi : psnr)) / (hi - lo) * (b.height - b.top - b.bottom);
  const bottom = b.height - b.bottom, right = b.width - b.right;

  svg.appendChild(svgElement('rect', { class: 'frame', x: b.left, y: b.top, width: right - b.left, height: bottom - b.top }));
  const ticks = [];
  for (let k = kLo; k <= kHi; k *= 2) ticks.push(k);
  if (ticks[ticks.length - 1] !== kHi && points[points.length - 1].k === kHi) {
    // A lossless end at the colour count gets its own tick, in place of a power of two too near to read apart.
    if (x(kHi) - x(ticks[ticks.length - 1]) < 24) ticks.pop();
    ticks.push(kHi);
  }
  for (const k of ticks) {
    svg.appendChild(svgElement('line', { class: 'tick', x1: x(k), y1: bottom, x2: x(k), y2: bottom + 4 }));
    svg.appendChild(svgElement('text', { x: x(k), y: bottom + 15, 'text-anchor': 'middle' }, k));
  }
  for (let v = lo; v <= hi; v += 5) {
    svg.appendChild(svgElement('line', { class: 'grid', x1: b.left, y1: y(v), x2: right, y2: y(v) }));
    svg.appendChild(svgElement('text', { x: b.left - 5, y: y(v) + 4, 'text-anchor': 'end' }, lossless && v === hi ? '∞' : v));
  }
  svg.appendChild(svgElement('text', { class: 'axis-label', x: (b.left + right) / 2, y: b.height - 3, 'text-anchor': 'middle' }, 'K (palette size)'));
  svg.appendChild(svgElement('text', { class: 'axis-label', x: 11, y: (b.top + bottom) / 2, 'text-anchor': 'middle',
    transform: `rotate(-90 11 ${(b.top + bottom) / 2})` }, 'PSNR (dB)'));
  for (const level of data.levels) {
    svg.appendChild(svgElement('line', { class: 'level', x1: b.left, y1: y(level.psnr), x2: right, y2: y(level.psnr) }));
    svg.appendChild(svgElement('text', { class: 'level-label', x: b.left + 4, y: y(level.psnr) - 3 }, `${level.name} ${level.psnr} dB`));
  }
  if (markK !== null && markK >= kLo && markK <= kHi) {
    svg.appendChild(svgElement('line', { class: 'mark', x1: x(markK), y1: b.top, x2: x(markK), y2: bottom }));
    const nearRight = x(markK) > right - 40;
    svg.appendChild(svgElement('text', { class: 'mark-label', x: x(markK) + (nearRight ? -4 : 4), y: bottom - 5,
      'text-anchor': nearRight ? 'end' : 'start' }, `K = ${markK}`));
  }
  svg.appendChild(svgElement('polyline', { class: 'curve', points: points.map((p) => `${x(p.k)},${y(p.psnr)}`).join(' ') }));
  for (const p of points) {
    const quality = p.psnr === null ? 'lossless' : `${p.psnr.toFixed(2)} dB`;
    const dot = svgElement('circle', { class: 'pick', cx: x(p.k), cy: y(p.psnr), r: 6, tabindex: 0, role: 'button',
      'data-k': p.k, 'aria-label': `K = ${p.k}: ${quality}; use this K` });
    dot.appendChild(svgElement('title', {}, `K = ${p.k}: PSNR ${quality}, MSE ${p.mse.toFixed(2)}. Click to use this K.`));
    dot.addEventListener('click', () => pickK(p.k));
    dot.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      pickK(p.k);
    });
    svg.appendChild(dot);
  }
}

// The K the chart marks: the slider's while K is chosen by hand, else the result's.
function elbowMarkK(image) {
  if (mode() === 'k') return Number($('k-slider').value);
  return image && image.result ? image.result.colors_requested : null;
}

function redrawElbow() {
  const image = state.current;
  if (!image || !image.elbow || $('elbow-figure').hidden) return;
  drawElbow($('elbow-chart'), image.elbow, elbowMarkK(image));
}

// Shows the current image's curve, asking the server for it the first time.
async function showElbow() {
  const image = state.current;
  if (!image) return;
  state.elbowOpen = true;
  $('elbow-figure').hidden = false;
  const note = $('elbow-note');
  if (image.elbow) {
    redrawElbow();
    note.textContent = elbowNote(image.elbow);
    return;
  }
  $('elbow-chart').replaceChildren();
  note.textContent = `Building palettes of K = 2, 4, … 256 for ${image.name}…`;
  try {
    const data = await (await check(await fetch(`/api/images/${image.id}/elbow`))).json();
    image.elbow = data;
    if (image !== state.current) return;
    redrawElbow();
    note.textContent = elbowNote(data);
    if (!$('report-frame').hidden) showReport();  // the report gains its elbow section
  } catch (e) {
    if (image !== state.current) return;
    note.textContent = '';
    $('elbow-figure').hidden = true;
    showError(`${image.name}: ${e.message}`);
  }
}

function elbowNote(data) {
  const last = data.points[data.points.length - 1];
  const lossless = last && last.psnr === null ? ` At K = ${last.k} (every colour of the image) it is lossless.` : '';
  return `The PSNR of the palette for each K (as kmq compress --elbow; ${data.seconds.toFixed(2)} s). ` +
    `Dashed: the levels' targets. Pick a point to use its K.${lossless}`;
}
