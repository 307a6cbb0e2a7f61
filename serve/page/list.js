// kmq serve's list of images: a row per image (its name shows it, × removes
// it from the server), "Apply to all" and the zip of them all. An image the
// server no longer has (evicted beyond --cache-mb, deleted) is taken off the
// list as soon as an answer says so (404), so that neither the zip nor
// "Apply to all" keeps failing on it. After a reload, the tab's images the
// server still holds are listed again (restoreImages). Loaded before app.js; uses its $,
// state, check, HttpError, refresh, select, setDownloads, settingsQuery,
// bytesText, setStat, markStale and the error panel when called.
'use strict';

function isGone(e) { return e instanceof HttpError && e.status === 404; }

function rowOf(image) {
  if (image.row) return image.row;
  const tr = document.createElement('tr');
  tr.dataset.id = image.id;
  const name = document.createElement('button');
  name.type = 'button';
  name.className = 'pick';
  name.textContent = image.name;
  name.addEventListener('click', () => select(image));
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'remove';
  remove.textContent = '×';
  remove.setAttribute('aria-label', `remove ${image.name}`);
  remove.title = `Remove ${image.name} from the server`;
  remove.addEventListener('click', () => removeImage(image));
  const cells = [name, `${image.width}×${image.height}`, bytesText(image.input_bytes).split(' (')[0], '…', '…', remove];
  for (const c of cells) {
    const td = document.createElement('td');
    if (typeof c === 'string') td.textContent = c; else td.appendChild(c);
    tr.appendChild(td);
  }
  $('image-rows').appendChild(tr);
  $('image-list').hidden = false;
  image.row = tr;
  return tr;
}

function updateRow(image) {
  const tr = rowOf(image);
  const current = image === state.current;
  tr.classList.toggle('current', current);
  // Not by colour alone: assistive technology says which image is on screen.
  for (const el of [tr, tr.querySelector('button.pick')]) {
    if (current) el.setAttribute('aria-current', 'true'); else el.removeAttribute('aria-current');
  }
  const r = image.result;
  // Rows may hold results of other settings (a new image gets the setting of its upload): each says its K.
  tr.cells[3].textContent = r ? `${r.output_bytes.toLocaleString('en-US')} bytes, K = ${r.colors_requested}` : (image.status || '…');
  tr.cells[4].textContent = r ? `${(100 * (1 - r.ratio)).toFixed(1)} %` : '';
  if (r) { tr.dataset.outputBytes = r.output_bytes; tr.dataset.settings = r.command; }
}

// Off the list (and out of the zip's ids); the selection is the caller's.
function forget(image) {
  image.gone = true;  // its answers still on their way are dropped
  state.images = state.images.filter((i) => i !== image);
  if (image.row) image.row.remove();
  $('image-list').hidden = state.images.length === 0;
  $('apply-all').disabled = state.images.length === 0;
  setDownloads(state.current && state.current.result ? state.current : null);
}

// Off the list; when one was on screen, the next image left (else the one
// before, else none) is shown in its place.
function dropImages(images) {
  const before = state.images.slice();
  const at = before.indexOf(state.current);
  for (const image of images) forget(image);
  if (!images.includes(state.current)) return;
  state.current = null;  // not a picture to go back to should the next fail too
  const left = (i) => !images.includes(i);
  const next = before.slice(at + 1).find(left) || before.slice(0, at).reverse().find(left);
  if (next) select(next); else showNothing();
}
const dropImage = (image) => dropImages([image]);

// Images the server answered 404 for: off the list, and said so.
function dropEvicted(images) {
  for (const image of images) image.evicted = true;
  dropImages(images);
}
const evictedText = (image) => `${image.name}: no longer on the server (evicted or deleted), taken off the list: upload it again`;

// The × of a row: the server forgets the image (204; a 404 means it had already).
async function removeImage(image) {
  try {
    await check(await fetch(`/api/images/${image.id}`, { method: 'DELETE' }));
  } catch (e) {
    if (!isGone(e)) { showError(`${image.name}: not removed: ${e.message}`); return; }
  }
  const at = state.images.indexOf(image);
  dropImage(image);
  // The focus was on the × just removed: the next row's, else the file input.
  const next = state.images[Math.min(at, state.images.length - 1)];
  (next ? next.row.querySelector('button.remove') : $('file-input')).focus();
}

// No image left: the viewer, numbers and downloads as when the page opened.
function showNothing() {
  state.current = null;
  state.zoom = null;
  for (const id of ['canvas-original', 'canvas-compressed']) { $(id).width = 0; $(id).height = 0; }
  $('viewer-empty').hidden = false;
  $('busy-note').hidden = true;
  $('elbow-figure').hidden = true;
  $('report-frame').hidden = true;
  $('zoom-label').textContent = 'fit';
  for (const dd of document.querySelectorAll('.stats dd')) setStat(dd.id, '–');
  markStale(false);
  $('stat-state').textContent = '';
  setDownloads(null);
}

// Every image in turn; the failures are summed up, each named, not only the
// last (one found evicted meanwhile, when shown, too).
async function applyAll() {
  clearError();
  const images = state.images.slice();
  const failed = new Map();
  for (const image of images) {
    if (image.gone) continue;
    const failure = await refresh(image, image === state.current, true);
    if (failure) failed.set(image, failure);
  }
  const failures = images.map((i) => failed.get(i) || (i.evicted ? evictedText(i) : null)).filter((f) => f);
  if (failures.length > 0) showError(`Apply to all: ${failures.length} of ${images.length} failed:\n${failures.join('\n')}`);
  setDownloads(state.current && state.current.result ? state.current : null);
}

function zipUrl(images) {
  return `/api/zip?ids=${images.map((i) => i.id).join(',')}&${settingsQuery()}`;
}

// The zip through fetch, not a plain link: a link that fails saves the
// server's JSON error as a file and says nothing. On a 404 the answer names
// the images no longer stored (evicted, deleted): those leave the list.
async function downloadZip(event) {
  event.preventDefault();
  const link = $('dl-zip');
  if (state.images.length === 0 || link.getAttribute('aria-busy') === 'true') return;
  const images = state.images.slice();
  link.setAttribute('aria-busy', 'true');
  link.dataset.label = link.textContent;
  link.textContent = 'all images (.zip): preparing…';
  try {
    const response = await check(await fetch(zipUrl(images)));
    const blob = await response.blob();
    saveBlob(blob, fileNameOf(response.headers.get('Content-Disposition')) || 'kmq-images.zip');
  } catch (e) {
    const ids = isGone(e) && e.body && Array.isArray(e.body.ids) ? e.body.ids : [];
    const gone = images.filter((i) => ids.includes(i.id));
    if (gone.length === 0) { showError(`all images (.zip): ${e.message}`); return; }
    dropEvicted(gone);
    const left = state.images.length;
    showError(`all images (.zip): ${gone.map((i) => i.name).join(', ')} no longer on the server (evicted or deleted), ` +
      `taken off the list: upload ${gone.length > 1 ? 'them' : 'it'} again.` +
      (left > 0 ? ` The zip of the other ${left} is a click away.` : ''));
  } finally {
    link.removeAttribute('aria-busy');
    link.textContent = link.dataset.label;
  }
}

// attachment; filename="kmq-images.zip" (or filename*=UTF-8''...).
function fileNameOf(disposition) {
  const m = /filename\*=UTF-8''([^;]+)|filename="([^"]+)"|filename=([^;\s]+)/i.exec(disposition || '');
  if (!m) return null;
  try { return m[1] ? decodeURIComponent(m[1]) : m[2] || m[3]; } catch (e) { return null; }
}

function saveBlob(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Not at once: the download reads the blob after the click returns.
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

function setupList() {
  $('dl-zip').addEventListener('click', downloadZip);
}

// ---- after a reload ----------------------------------------------------------

function rememberCurrent(image) {
  try { sessionStorage.setItem('kmq-current', image.id); } catch (e) { /* storage refused: nothing kept */ }
}

// The tab's images the server still holds after a reload: listed again, the
// one that was on screen shown, the others' rows filled in one by one.
async function restoreImages() {
  let images;
  try {
    ({ images } = await (await check(await fetch(`/api/pages/${pageName}/images?instance=${pageInstance}`))).json());
  } catch (e) {
    return;  // nothing to list: a fresh page
  }
  if (images.length === 0) return;
  let shown = null;
  try { shown = sessionStorage.getItem('kmq-current'); } catch (e) { /* storage refused */ }
  for (const image of images) {
    image.seq = firstSeq;  // above the numbers the earlier load sent
    state.images.push(image);
    rowOf(image);
  }
  $('apply-all').disabled = false;
  if (!state.current) await select(images.find((i) => i.id === shown) || images[0]);
  for (const image of images) {
    if (image !== state.current && !image.gone && !image.result) await refresh(image, false, true);
  }
}
