// kmq serve's way in for files: picked (files or a folder), dropped (folders
// walked through the entries API) or pasted; each is uploaded in turn, and a
// failure names its file. Files picked or dropped one by one all go to the
// server, which names what it refuses (a GIF, a text file); in a folder only
// the image files are sent, and the others are named as skipped (hidden ones
// such as .DS_Store left unsaid). Loaded before app.js; uses its upload,
// select, refresh and error panel when called.
'use strict';

const imageName = /\.(png|jpe?g|jpe|webp|tiff?|bmp)$/i;
const notAnImage = 'not an image kmq reads (PNG, JPEG, WebP, TIFF, BMP)';

// The image files of a folder's list of files; the others' paths go to skipped.
function imagesOf(files, skipped) {
  return files.filter((f) => {
    const keep = imageName.test(f.name);
    if (!keep && !f.name.startsWith('.')) skipped.push(f.webkitRelativePath || f.name);
    return keep;
  });
}

// A dropped entry's files: a file itself, a folder's image files (and its subfolders').
async function filesOfEntry(entry, skipped, top) {
  if (entry.isFile) {
    if (!top && !imageName.test(entry.name)) {
      if (!entry.name.startsWith('.')) skipped.push(entry.fullPath.replace(/^\//, ''));
      return [];
    }
    return [await new Promise((resolve, reject) => entry.file(resolve, reject))];
  }
  const reader = entry.createReader();
  const out = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch.sort((a, b) => a.name.localeCompare(b.name))) out.push(...(await filesOfEntry(child, skipped, false)));
  }
  return out;
}

async function droppedFiles(transfer, skipped) {
  const entries = Array.from(transfer.items || []).map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
  if (entries.length === 0 || entries.some((e) => !e)) return Array.from(transfer.files);
  const files = [];
  for (const entry of entries) files.push(...(await filesOfEntry(entry, skipped, true)));
  return files;
}

// skipped: the paths of a folder's files that are not images, named first.
async function addFiles(files, skipped = []) {
  clearError();
  const list = Array.from(files);
  const failures = [];
  if (skipped.length > 0) {
    const named = skipped.slice(0, 10).join(', ') + (skipped.length > 10 ? ` and ${skipped.length - 10} more` : '');
    failures.push(`skipped in the folder, ${notAnImage}: ${named}`);
    showError(failures.join('\n'));
  }
  for (const file of list) {
    let image;
    try {
      image = await upload(file);
    } catch (e) {
      failures.push(e.message.includes(file.name) ? e.message : `${file.name}: ${e.message}`);
      showError(failures.join('\n'));
      continue;
    }
    if (!state.current) await select(image);
    else await refresh(image, false);
  }
  if (state.current) setDownloads(state.current.result ? state.current : null);
}

function setupFileInputs() {
  $('file-input').addEventListener('change', (e) => { addFiles(e.target.files); e.target.value = ''; });
  const zone = $('drop-zone');
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', async (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const transfer = e.dataTransfer;
    const items = Array.from(transfer.items || []);  // read before the event ends
    const skipped = [];
    addFiles(await droppedFiles({ items, files: transfer.files }, skipped), skipped);
  });
  // A folder picked: its image files (the others named as left out).
  $('folder-input').addEventListener('change', (e) => {
    const skipped = [];
    addFiles(imagesOf(Array.from(e.target.files), skipped), skipped);
    e.target.value = '';
  });
  document.addEventListener('paste', (e) => {
    const files = Array.from(e.clipboardData.items).filter((i) => i.kind === 'file').map((i) => i.getAsFile());
    if (files.length > 0) addFiles(files);
  });
}
