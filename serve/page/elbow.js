// kmq serve's error-against-K chart (the curve of kmq compress --elbow): the
// PSNR of the palette for K = 2, 4, ... 256 on a logarithmic K axis, the
// levels' targets as dashed lines, the K on screen as a rule. Each point is a
// button that picks its K. Loaded before app.js; uses its $, state, check,
// mode, showError, showReport, setDownloads and pickK when called. The curve
// is asked for once an image's chart is opened, then follows the image on
// screen: the server keeps each image's curve, and the page's newer request
// supersedes its older one (page=, seq=), so only the image on screen's runs.
'use strict';

const svgNS = 'http://www.w3.org/2000/svg';
const elbowBox = { width: 320, height: 210, left: 38, right: 12, top: 12, bottom: 34 };
// The page's own name (page=): its newer curve request supersedes its older
// one, and closing the page frees its images and uploads (app.js). It is left
// in the tab's sessionStorage when the page goes (pagehide) and taken out
// while the page is open, so that a reload or Back finds the tab's images
// again and a tab duplicated meanwhile gets a name of its own. Each load is
// an instance of its own (instance=): a late close or upload of an earlier
// load is not taken for this one's.
const freshName = () => Array.from(crypto.getRandomValues(new Uint8Array(8)), (v) => v.toString(16).padStart(2, '0')).join('');
function tabPageName() {
  try {
    const kept = sessionStorage.getItem('kmq-page');
    sessionStorage.removeItem('kmq-page');
    if (kept && /^[0-9a-f]{16}$/.test(kept)) return kept;
  } catch (e) {
    /* storage refused (a privacy setting): a name for this load only */
  }
  return freshName();
}
const pageName = tabPageName();
const pageInstance = freshName();
// Requests are numbered on from the time of this load (microseconds), so
// that they stay above any number an earlier load of the page used.
const firstSeq = Date.now() * 1000;
let elbowSeq = firstSeq;

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

// Scales and edges of one drawing.
function elbowFrame(data) {
  const b = elbowBox, points = data.points;
  const kLo = points[0].k, kHi = points.length > 1 ? points[points.length - 1].k : kLo * 2;
  const { lo, hi, lossless } = elbowRange(points, data.levels);
  return {
    kLo, kHi, lo, hi, lossless,
    bottom: b.height - b.bottom, right: b.width - b.right,
    x: (k) => b.left + (Math.log2(k) - Math.log2(kLo)) / (Math.log2(kHi) - Math.log2(kLo)) * (b.width - b.left - b.right),
    y: (psnr) => b.top + (hi - (psnr === null ? hi : psnr)) / (hi - lo) * (b.height - b.top - b.bottom),
  };
}

function drawAxes(svg, f, points) {
  const b = elbowBox;
  svg.appendChild(svgElement('rect', { class: 'frame', x: b.left, y: b.top, width: f.right - b.left, height: f.bottom - b.top }));
  const ticks = [];
  for (let k = f.kLo; k <= f.kHi; k *= 2) ticks.push(k);
  if (ticks[ticks.length - 1] !== f.kHi && points[points.length - 1].k === f.kHi) {
    // A lossless end at the colour count gets its own tick, in place of a power of two too near to read apart.
    if (f.x(f.kHi) - f.x(ticks[ticks.length - 1]) < 24) ticks.pop();
    ticks.push(f.kHi);
  }
  for (const k of ticks) {
    svg.appendChild(svgElement('line', { class: 'tick', x1: f.x(k), y1: f.bottom, x2: f.x(k), y2: f.bottom + 4 }));
    svg.appendChild(svgElement('text', { x: f.x(k), y: f.bottom + 15, 'text-anchor': 'middle' }, k));
  }
  // Seven rows at most (a palette of 257 colours reaches 100 dB at K = 256).
  const step = 5 * Math.max(1, Math.ceil((f.hi - f.lo) / 5 / 7));
  for (let v = f.lo; v <= f.hi; v += step) {
    const top = f.lossless && v + step > f.hi;  // the row of the lossless points
    const at = top ? f.hi : v;
    svg.appendChild(svgElement('line', { class: 'grid', x1: b.left, y1: f.y(at), x2: f.right, y2: f.y(at) }));
    svg.appendChild(svgElement('text', { x: b.left - 5, y: f.y(at) + 4, 'text-anchor': 'end' }, top ? '∞' : v));
  }
  svg.appendChild(svgElement('text', { class: 'axis-label', x: (b.left + f.right) / 2, y: b.height - 3, 'text-anchor': 'middle' }, 'K (palette size)'));
  svg.appendChild(svgElement('text', { class: 'axis-label', x: 11, y: (b.top + f.bottom) / 2, 'text-anchor': 'middle',
    transform: `rotate(-90 11 ${(b.top + f.bottom) / 2})` }, 'PSNR (dB)'));
}

// The levels' lines; their labels one above each, or all in one line above
// the highest where they would print over each other.
function drawLevels(svg, f, levels) {
  const ys = levels.map((l) => f.y(l.psnr));
  for (const y of ys) svg.appendChild(svgElement('line', { class: 'level', x1: elbowBox.left, y1: y, x2: f.right, y2: y }));
  const apart = ys.every((y, i) => i === 0 || Math.abs(y - ys[i - 1]) >= 11);
  if (apart) {
    levels.forEach((l, i) => svg.appendChild(svgElement('text', { class: 'level-label', x: elbowBox.left + 4, y: ys[i] - 3 },
      `${l.name} ${l.psnr} dB`)));
  } else {
    const text = levels.map((l) => `${l.name} ${l.psnr}`).join(' · ') + ' dB';
    svg.appendChild(svgElement('text', { class: 'level-label', x: elbowBox.left + 4, y: Math.min(...ys) - 3 }, text));
  }
}

// The rule at the K on screen; a K off the axis (1, or past the image's
// colour count) at the axis's end, saying so.
function drawMark(svg, f, points, markK) {
  if (markK === null) return;
  const at = Math.min(Math.max(markK, f.kLo), f.kHi);
  const past = markK > f.kHi && points[points.length - 1].psnr === null ? ': every colour' : '';
  svg.appendChild(svgElement('line', { class: 'mark', x1: f.x(at), y1: elbowBox.top, x2: f.x(at), y2: f.bottom }));
  const nearRight = f.x(at) > f.right - 60;
  svg.appendChild(svgElement('text', { class: 'mark-label', x: f.x(at) + (nearRight ? -4 : 4), y: f.bottom - 5,
    'text-anchor': nearRight ? 'end' : 'start' }, `K = ${markK}${past}`));
}

// Each point a button: a dot, and a larger invisible disc to tap.
function drawPoints(svg, f, points) {
  svg.appendChild(svgElement('polyline', { class: 'curve', points: points.map((p) => `${f.x(p.k)},${f.y(p.psnr)}`).join(' ') }));
  for (const p of points) {
    const quality = p.psnr === null ? 'lossless' : `${p.psnr.toFixed(2)} dB`;
    const pick = svgElement('g', { class: 'pick', tabindex: 0, role: 'button', 'data-k': p.k,
      'aria-label': `K = ${p.k}: ${quality}; use this K` });
    pick.appendChild(svgElement('title', {}, `K = ${p.k}: PSNR ${quality}, MSE ${p.mse.toFixed(2)}. Click to use this K.`));
    pick.appendChild(svgElement('circle', { class: 'hit', cx: f.x(p.k), cy: f.y(p.psnr), r: 12 }));
    pick.appendChild(svgElement('circle', { class: 'dot', cx: f.x(p.k), cy: f.y(p.psnr), r: 6 }));
    pick.addEventListener('click', () => pickK(p.k));
    pick.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      pickK(p.k);
    });
    svg.appendChild(pick);
  }
}

// Draws the curve into the svg; markK: the K on screen (null: no rule). A
// point that had the focus has it again after the drawing.
function drawElbow(svg, data, markK) {
  const focused = svg.contains(document.activeElement) ? document.activeElement.getAttribute('data-k') : null;
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${elbowBox.width} ${elbowBox.height}`);
  if (data.points.length === 0) return;
  const f = elbowFrame(data);
  drawAxes(svg, f, data.points);
  drawLevels(svg, f, data.levels);
  drawMark(svg, f, data.points, markK);
  drawPoints(svg, f, data.points);
  if (focused !== null) {
    const again = svg.querySelector(`.pick[data-k="${focused}"]`);
    if (again) again.focus();
  }
}

// The K the chart marks: the slider's while K is chosen by hand, else the
// K of the setting's latest preview or result (none while it is asked for).
function elbowMarkK(image) {
  if (mode() === 'k') return Number($('k-slider').value);
  if (!image) return null;
  if (image.result) return image.result.colors_requested;
  return image.preview ? image.preview.k : null;
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
    const query = new URLSearchParams({ page: pageName, seq: String(++elbowSeq) });
    const data = await (await check(await fetch(`/api/images/${image.id}/elbow?${query}`))).json();
    image.elbow = data;
    if (image !== state.current) return;
    redrawElbow();
    note.textContent = elbowNote(data);
    setDownloads(image.result ? image : null);  // the report's link gains its elbow section
    if (!$('report-frame').hidden) showReport();  // and so does the report on the page
  } catch (e) {
    if (image !== state.current || (e instanceof HttpError && e.kind === 'superseded')) return;  // another image's is on its way
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
