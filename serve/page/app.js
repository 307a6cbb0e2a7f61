// kmq serve's page. Uploads go to the server once (decoded, colours counted
// there); each setting change asks for a preview (palette + 1-byte label map)
// painted here, then for the full result (PNG sizes, PSNR, SSIM) in a second
// request. Every request of an image carries that image's sequence number, so
// the server drops the ones a newer request supersedes (HTTP 409).
'use strict';

const $ = (id) => document.getElementById(id);
const state = { images: [], current: null, zoom: null, panX: 0, panY: 0, divider: 0.5 };

// ---- settings ------------------------------------------------------------

function mode() { return document.querySelector('input[name=mode]:checked').value; }

function settingsQuery() {
  const p = new URLSearchParams();
  if (mode() === 'k') p.set('k', $('k-slider').value);
  else if (mode() === 'level') p.set('level', $('level-select').value);
  else p.set('psnr', $('psnr-input').value);
  p.set('dither', $('dither-toggle').checked ? 'fs' : 'none');
  return p;
}

// The settings go with the tab (sessionStorage, at each change) and come back
// on a reload, Back or the address opened again in the tab, with the images
// (restoreImages); a new tab starts from the page's defaults, a duplicated
// one from the settings it copied. Each kept value is checked against its
// control; the controls do not take the browser's own form restoring
// (autocomplete="off"), so the kept settings are the one source.
function keepSettings() {
  const kept = { mode: mode(), k: $('k-slider').value, level: $('level-select').value, psnr: $('psnr-input').value,
                 dither: $('dither-toggle').checked };
  try { sessionStorage.setItem('kmq-settings', JSON.stringify(kept)); } catch (e) { /* storage refused: defaults next time */ }
}

function restoreSettings() {
  let kept = null;
  try { kept = JSON.parse(sessionStorage.getItem('kmq-settings')); } catch (e) { /* storage refused or not JSON */ }
  if (kept && typeof kept === 'object') {
    const radio = document.querySelector(`input[name=mode][value="${CSS.escape(String(kept.mode))}"]`);
    if (radio) radio.checked = true;
    const k = Number(kept.k);
    if (Number.isInteger(k) && k >= Number($('k-slider').min) && k <= Number($('k-slider').max)) $('k-slider').value = k;
    if ([...$('level-select').options].some((o) => o.value === kept.level)) $('level-select').value = kept.level;
    const psnr = Number(kept.psnr);
    if (Number.isInteger(psnr / Number($('psnr-input').step)) && psnr >= Number($('psnr-input').min) &&
        psnr <= Number($('psnr-input').max)) {
      $('psnr-input').value = psnr;
    }
    if (typeof kept.dither === 'boolean') $('dither-toggle').checked = kept.dither;
  }
  $('k-value').textContent = $('k-slider').value;
}

function showMode() {
  $('k-control').hidden = mode() !== 'k';
  $('level-control').hidden = mode() !== 'level';
  $('psnr-control').hidden = mode() !== 'psnr';
}

// A point of the error-against-K chart picked: K by hand, that K.
function pickK(k) {
  document.querySelector('input[name=mode][value=k]').checked = true;
  $('k-slider').value = k;
  $('k-value').textContent = k;
  showMode();
  redrawElbow();
  changed();
}

// ---- errors ----------------------------------------------------------------

// from: 'settings' for a refresh's failure, which the next success clears;
// anything else (an upload's) stays until closed or the next upload.
function showError(text, from) {
  $('error-text').textContent = text;
  $('error-panel').hidden = false;
  state.errorFrom = from || 'other';
}
function clearError() { $('error-panel').hidden = true; }

class HttpError extends Error {
  constructor(status, kind, message, body) { super(message); this.status = status; this.kind = kind; this.body = body; }
}

async function check(response) {
  if (response.ok) return response;
  let body = { error: response.statusText, kind: 'http' };
  try { body = await response.json(); } catch (e) { /* not JSON: keep the status text */ }
  throw new HttpError(response.status, body.kind, body.error, body);
}

// ---- formatting ----------------------------------------------------------

function bytesText(n) {
  const exact = n.toLocaleString('en-US') + ' bytes';
  if (n < 1024) return exact;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024, u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; ++u; }
  return `${exact} (${v.toFixed(1)} ${units[u]})`;
}
function setStat(id, text, value) {
  const el = $(id);
  el.textContent = text;
  el.classList.remove('stale');
  if (value === undefined) el.removeAttribute('data-value'); else el.dataset.value = String(value);
}
const psnrText = (p) => (p === null ? '∞ (lossless)' : p.toFixed(2) + ' dB');

// ---- requests --------------------------------------------------------------

async function upload(file) {
  // Always application/octet-stream: the server refuses the types a form could send from another site (text/plain...).
  // Named with the page, so that closing the page frees it even when it arrives after.
  const response = await fetch(`/api/images?page=${pageName}&instance=${pageInstance}&name=` + encodeURIComponent(file.name),
                               { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' } });
  const image = await (await check(response)).json();
  image.seq = 0;
  state.images.push(image);
  rowOf(image);
  $('apply-all').disabled = false;
  return image;
}

// The newest request of an image wins; older answers are dropped here too.
// While a preview of the picture on screen is being made, changes only mark
// it stale: when that preview is painted the newest settings are asked for
// next (its PNG is not waited for), so a dragged slider keeps updating the
// picture instead of superseding every request before it finishes.
function changed() {
  keepSettings();
  const image = state.current;
  if (!image) return;
  if (image.previewing) { image.stale = true; return; }
  refresh(image, true);
}

// quiet: a failure is returned, not shown (Apply to all sums them up); an
// image the server no longer has is dropped from the list either way.
async function refresh(image, withPreview, quiet) {
  const seq = ++image.seq;
  image.stale = false;
  const query = settingsQuery();
  query.set('seq', seq);
  image.result = null;
  image.preview = null;  // the chart's rule waits for this setting's K
  image.status = 'working…';
  updateRow(image);
  if (image === state.current) { $('busy-note').hidden = false; setDownloads(null); clearStats(image); }
  try {
    if (withPreview) {
      const started = performance.now();
      image.previewing = true;
      let data;
      try {
        data = await (await check(await fetch(`/api/images/${image.id}/preview?${query}`))).arrayBuffer();
      } finally {
        image.previewing = false;
      }
      if (seq !== image.seq) return;
      paintPreview(image, data, performance.now() - started);
      if (image.stale) return;  // finally asks for the newest settings
    }
    const result = await (await check(await fetch(`/api/images/${image.id}/result?${query}`))).json();
    if (seq !== image.seq) return;
    image.result = result;
    image.resultQuery = settingsQuery().toString();
    updateRow(image);
    if (image === state.current) {
      showResult(image);
      if (state.errorFrom === 'settings') clearError();
      if (!$('report-frame').hidden) showReport();  // the proof follows the setting on screen
    }
  } catch (e) {
    if (e instanceof HttpError && e.kind === 'superseded') return null;  // a newer request is on its way
    if (image.gone || seq !== image.seq || image.stale) return null;
    if (isGone(e)) {
      // Evicted or deleted: a row left "failed" would fail every zip after it.
      dropEvicted([image]);
      if (!quiet) showError(evictedText(image));
      return evictedText(image);
    }
    image.status = 'failed';
    updateRow(image);
    if (image === state.current) {
      for (const id of ['stat-colors', 'stat-psnr']) setStat(id, '–');
      markStale(false);
      $('stat-state').textContent = 'No result for this setting (the error is above).';
    }
    if (!quiet) showError(`${image.name}: ${e.message}`, 'settings');
    return `${image.name}: ${e.message}`;
  } finally {
    if (seq === image.seq && image === state.current) $('busy-note').hidden = true;
    if (image.stale && !image.gone) refresh(image, image === state.current);  // picked away meanwhile: its row still gets a result
  }
  return null;
}

// ---- painting --------------------------------------------------------------

async function loadOriginal(image) {
  const response = await check(await fetch(`/api/images/${image.id}/original`));
  const pixels = new Uint8ClampedArray(await response.arrayBuffer());
  if (image !== state.current) return false;  // another image was picked meanwhile
  paintCanvas($('canvas-original'), image.width, image.height, new Uint32Array(pixels.buffer));
  return true;
}

// [u32 length][JSON][palette RGBA][labels, 1 byte per pixel] -> the compressed canvas.
function paintPreview(image, buffer, millis) {
  const view = new DataView(buffer);
  const length = view.getUint32(0, true);
  const stats = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
  const paletteBytes = new Uint8Array(buffer, 4 + length, 4 * stats.palette_size);
  const palette = new Uint32Array(paletteBytes.slice().buffer);
  const labels = new Uint8Array(buffer, 4 + length + 4 * stats.palette_size, stats.width * stats.height);
  image.preview = stats;
  if (image !== state.current) return;  // another image was picked meanwhile: its canvas is not this one's
  // Little-endian: RGBA bytes as palette entries.
  paintCanvas($('canvas-compressed'), stats.width, stats.height, (i) => palette[labels[i]]);
  setStat('stat-colors', `${stats.palette_size} (K = ${stats.k}; ${stats.distinct_colors.toLocaleString('en-US')} in the image)`, stats.palette_size);
  setStat('stat-psnr', psnrText(stats.psnr) + ' (preview)', stats.psnr);
  setStat('stat-backend', stats.backend, stats.backend);
  $('stat-state').classList.remove('stale');
  $('stat-state').textContent = `Preview in ${millis.toFixed(0)} ms (server ${(1000 * stats.seconds).toFixed(0)} ms); encoding the PNG…`;
  $('viewer').dataset.previewSeq = stats.seq;
  redrawElbow();
}

// A new setting or image asked for: the figures still shown are an earlier
// one's until its preview and result replace them (setStat), so they are
// dimmed, and the list is busy, meanwhile.
function clearStats(image) {
  for (const id of ['stat-output-bytes', 'stat-ratio', 'stat-bpp', 'stat-ssim', 'stat-time']) setStat(id, '…');
  setStat('stat-input-bytes', bytesText(image.input_bytes), image.input_bytes);
  markStale(true);
}

function markStale(on) {
  // Not the size before: the image's own, known since its upload.
  for (const el of document.querySelectorAll('.stats dd:not(#stat-input-bytes), #stat-state')) {
    if (on && !['–', '…'].includes(el.textContent)) el.classList.add('stale');
    if (!on) el.classList.remove('stale');
  }
  const stats = document.querySelector('.stats');
  if (on) stats.setAttribute('aria-busy', 'true'); else stats.removeAttribute('aria-busy');
  $('stat-pending').hidden = !on;
  if (on) $('stat-pending').textContent = `Working on ${settingsLabel()}… Dimmed: an earlier setting's figures.`;
}

function settingsLabel() {
  const dither = $('dither-toggle').checked ? ', dithered' : '';
  if (mode() === 'k') return `K = ${$('k-slider').value}${dither}`;
  if (mode() === 'level') return `level ${$('level-select').value}${dither}`;
  return `a PSNR of ${$('psnr-input').value} dB${dither}`;
}

function showResult(image) {
  const r = image.result;
  setStat('stat-input-bytes', bytesText(r.input_bytes), r.input_bytes);
  setStat('stat-output-bytes', bytesText(r.output_bytes), r.output_bytes);
  setStat('stat-ratio', `${(100 * r.ratio).toFixed(1)} % of the input`, r.ratio);
  setStat('stat-bpp', `${r.bits_per_pixel.toFixed(3)} (input ${r.input_bits_per_pixel.toFixed(3)})`, r.bits_per_pixel);
  setStat('stat-psnr', psnrText(r.psnr), r.psnr);
  setStat('stat-ssim', r.ssim.toFixed(4), r.ssim);
  setStat('stat-colors', `${r.palette_size} (K = ${r.colors_requested}; ${r.distinct_colors.toLocaleString('en-US')} in the image)`, r.palette_size);
  setStat('stat-time', `${r.seconds.total.toFixed(3)} s (the whole kmq compress job)`, r.seconds.total);
  setStat('stat-backend', `${r.backend} (${r.device})`, r.backend);
  // What kmq compress would say on its standard error (an animated file's
  // other frames, a fallback), before the command it matches.
  const notes = (r.notices || []).map((n) => `Note: ${n}.`).join(' ');
  markStale(false);
  $('stat-state').textContent = `${notes ? notes + ' ' : ''}As: ${r.command}`;
  $('viewer').dataset.resultSeq = r.seq;
  setDownloads(image);
  redrawElbow();
}

function setDownloads(image) {
  const links = { 'dl-png': 'png', 'dl-gpl': 'gpl', 'dl-json': 'palette.json', 'dl-labels': 'labels.png', 'dl-report': 'report.html' };
  const query = settingsQuery().toString();
  for (const [id, what] of Object.entries(links)) {
    const a = $(id);
    if (image) {
      a.href = `/api/images/${image.id}/download/${what}?${what === 'report.html' ? reportQuery(image) : query}`;
      a.classList.remove('disabled');
      a.removeAttribute('aria-disabled');
    }
    else { a.removeAttribute('href'); a.classList.add('disabled'); a.setAttribute('aria-disabled', 'true'); }
  }
  const zip = $('dl-zip');
  if (state.images.length > 0) {
    zip.href = zipUrl(state.images);
    zip.classList.remove('disabled');
    zip.removeAttribute('aria-disabled');
  } else {
    zip.removeAttribute('href'); zip.classList.add('disabled'); zip.setAttribute('aria-disabled', 'true');
  }
  // The report follows the current setting whenever asked: not disabled while a result is on its way
  // (a click that blurs an edited field starts a refresh before the click lands).
  $('show-report').disabled = !state.current;
  $('show-elbow').disabled = !state.current;
}

// The report's query: the setting, and its elbow section once the image's curve is on the page (the server keeps it).
function reportQuery(image) {
  const query = settingsQuery();
  if (image.elbow) query.set('elbow', '1');
  return query.toString();
}

// ---- selection ---------------------------------------------------------------

async function select(image) {
  const previous = state.current;
  state.current = image;
  rememberCurrent(image);
  for (const i of state.images) updateRow(i);
  if (previous !== image) {
    $('viewer-empty').hidden = true;
    $('report-frame').hidden = true;
    $('elbow-figure').hidden = true;
    if (state.elbowOpen) showElbow();  // the chart, once opened, follows the image on screen
    state.zoom = null;
    clearStats(image);
    try {
      if (!(await loadOriginal(image))) return;
    } catch (e) {
      if (image !== state.current) return;
      showError(`${image.name}: ${e.message}`);
      const back = previous && !previous.gone ? previous : null;
      if (isGone(e)) {
        // Evicted: gone from the list and the zip; the picture before it is shown again, else the next one.
        if (!back) { dropEvicted([image]); return; }
        image.evicted = true;
        forget(image);
      }
      state.current = back;
      for (const i of state.images) updateRow(i);
      if (!back) { showNothing(); return; }
      state.zoom = null;
      try {
        if (await loadOriginal(previous)) {
          fit();
          if (state.elbowOpen) showElbow();
          await refresh(previous, true);
        }
      } catch (again) {
        showError(`${image.name}: ${e.message}\n${previous.name}: ${again.message}`);  // both evicted
        if (isGone(again)) dropEvicted([previous]);
      }
      return;
    }
    fit();
  }
  await refresh(image, true);
}

function showReport() {
  const frame = $('report-frame');
  frame.src = `/api/images/${state.current.id}/download/report.html?inline=1&${reportQuery(state.current)}`;
  frame.hidden = false;
}

function setupInputs() {
  $('error-close').addEventListener('click', clearError);

  $('k-slider').addEventListener('input', () => { $('k-value').textContent = $('k-slider').value; redrawElbow(); changed(); });
  $('level-select').addEventListener('change', changed);
  $('psnr-input').addEventListener('change', changed);
  $('dither-toggle').addEventListener('change', changed);
  for (const radio of document.querySelectorAll('input[name=mode]')) {
    radio.addEventListener('change', () => { showMode(); redrawElbow(); changed(); });
  }
  $('apply-all').addEventListener('click', applyAll);
  $('show-report').addEventListener('click', showReport);
  $('show-elbow').addEventListener('click', showElbow);
}

async function showServer() {
  try {
    const s = await (await check(await fetch('/api/status'))).json();
    $('server-status').textContent = `Backend ${s.backend}; uploads up to ${bytesText(s.max_file_size)}, ` +
      `${s.max_pixels.toLocaleString('en-US')} pixels; images kept in ${Math.round(s.cache_bytes / 1048576)} MiB of memory.`;
  } catch (e) {
    showError(e.message);
  }
}

// Closing the page frees its images on the server after kmq serve's
// --page-grace (60 s) rather than when the LRU evicts them, and an upload
// still on its way is not kept. A reload, or Back to the page, within the
// grace lists them again (restoreImages); Back to a page the browser kept
// whole undoes the close.
window.addEventListener('pagehide', () => {
  try { sessionStorage.setItem('kmq-page', pageName); } catch (e) { /* storage refused: nothing to find again */ }
  fetch(`/api/pages/${pageName}/close?instance=${pageInstance}`, { method: 'POST', keepalive: true }).catch(() => {});
});
window.addEventListener('pageshow', (e) => {
  if (!e.persisted) return;
  try { sessionStorage.removeItem('kmq-page'); } catch (e2) { /* storage refused */ }
  fetch(`/api/pages/${pageName}/images?instance=${pageInstance}`).catch(() => {});
});

restoreSettings();
showMode();
setupViewer();
setupFileInputs();
setupList();
setupInputs();
placeDivider();
showServer();
restoreImages();
