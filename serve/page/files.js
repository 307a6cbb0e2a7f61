// kmq serve's way in for files: picked (files or a folder), dropped (folders
// walked through the entries API) or pasted; each is uploaded in turn, and a
// failure names its file. Loaded before app.js; uses its upload, select,
// refresh and error panel when called.
'use strict';

const imageName = /\.(png|jpe?g|jpe|webp|tiff?|bmp)$/i;

// A dropped folder's image files (and its subfolders'), through the entries API.
async function filesOfEntry(entry) {
  if (entry.isFile) {
    if (!imageName.test(entry.name)) return [];
    return [await new Promise((resolve, reject) => entry.file(resolve, reject))];
  }
  const reader = entry.createReader();
  const out = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch.sort((a, b) => a.name.localeCompare(b.name))) out.push(...(await filesOfEntry(child)));
  }
  return out;
}

async function droppedFiles(transfer) {
  const entries = Array.from(transfer.items || []).map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
  if (entries.length === 0 || entries.some((e) => !e)) return Array.from(transfer.files);
  const files = [];
  for (const entry of entries) files.push(...(await filesOfEntry(entry)));
  return files;
}

async function addFiles(files) {
  clearError();
  const list = Array.from(files);
  const failures = [];
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
    addFiles(await droppedFiles({ items, files: transfer.files }));
  });
  // A folder picked: its image files (the other files in it are left out).
  $('folder-input').addEventListener('change', (e) => {
    addFiles(Array.from(e.target.files).filter((f) => imageName.test(f.name)));
    e.target.value = '';
  });
  document.addEventListener('paste', (e) => {
    const files = Array.from(e.clipboardData.items).filter((i) => i.kind === 'file').map((i) => i.getAsFile());
    if (files.length > 0) addFiles(files);
  });
}
