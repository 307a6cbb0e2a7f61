// The page's edges, end to end (run by serve_e2e.mjs): images the server no
// longer has (the zip and "Apply to all" drop them and say so, no error
// saved as a file); files dropped that are not images (named, as when
// picked); pictures the browser cannot draw at full size (70000 px wide),
// tiny (3x2, zoom never goes the wrong way) or one pixel thin (6000x1);
// figures of an earlier setting marked while the new one is made; the
// current row marked for assistive technology, and a row's × button; a
// reload and Back find the tab's images again, a new tab starts empty.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { check, openPage, writePng } from './helpers.mjs';

const rowNames = (page) => page.$$eval('#image-rows tr', (rs) => rs.map((r) => r.cells[0].textContent));
const currentRows = (page) => page.$$eval('#image-rows tr[aria-current="true"]', (rs) => rs.map((r) => r.cells[0].textContent));
const errorText = async (page) => ((await page.locator('#error-panel').isVisible()) ? page.locator('#error-text').textContent() : null);
const stageScale = (page) => page.$eval('#layer-compressed .stage', (s) => Number(/scale\(([^,)]+)/.exec(s.style.transform)[1]));

// The result of the image named on screen (its command names it).
async function waitForImage(page, name) {
  await page.waitForFunction((want) => document.getElementById('stat-output-bytes').dataset.value !== undefined &&
    document.getElementById('stat-state').textContent.includes(want), name, { timeout: 120000 });
}

// The image IDs of the rows, by name.
const idsByName = (page) => page.$$eval('#image-rows tr', (rs) => Object.fromEntries(rs.map((r) => [r.cells[0].textContent, r.dataset.id])));

// Deleted behind the page's back, as the server's LRU evicts an image.
const deleteOnServer = (page, id) => page.evaluate((i) => fetch(`/api/images/${i}`, { method: 'DELETE' }).then((r) => r.status), id);

export async function evictedFlow(browser, url, { sourceDir, outDir }) {
  const { page, errors } = await openPage(browser, url, { viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  const files = ['coffee.png', 'chelsea.png', 'astronaut.png'].map((n) => path.join(sourceDir, 'sample_images', n));
  await page.locator('#file-input').setInputFiles(files);
  await page.waitForFunction(() => document.querySelectorAll('#image-rows tr[data-output-bytes]').length === 3, null, { timeout: 180000 });
  const ids = await idsByName(page);
  check(await deleteOnServer(page, ids['chelsea.png']) === 204, 'evicted: chelsea.png deleted behind the page');
  const downloads = [];
  page.on('download', (d) => downloads.push(d.suggestedFilename()));
  await page.locator('#dl-zip').click();
  await page.locator('#error-panel').waitFor({ state: 'visible', timeout: 30000 }).catch(() => {});
  const zipError = await errorText(page);
  check(/chelsea\.png/.test(zipError || '') && /no longer on the server/.test(zipError), `evicted: the zip's error names the image gone "${zipError}"`);
  check(downloads.length === 0, `evicted: no error saved as a file (${downloads.join(', ')})`);
  check(JSON.stringify(await rowNames(page)) === '["coffee.png","astronaut.png"]', `evicted: chelsea.png taken off the list (${await rowNames(page)})`);
  const download = page.waitForEvent('download');
  await page.locator('#dl-zip').click();
  const zip = await download;
  const zipPath = path.join(outDir, 'evicted-rest.zip');
  await zip.saveAs(zipPath);
  const bytes = readFileSync(zipPath);
  check(zip.suggestedFilename() === 'kmq-images.zip' && bytes.subarray(0, 4).toString('latin1') === 'PK\x03\x04',
        `evicted: the zip of the others downloads as ${zip.suggestedFilename()}`);
  // "Apply to all" with the image on screen gone: dropped, the next one shown, the failure summed up.
  check(await deleteOnServer(page, ids['coffee.png']) === 204, 'evicted: coffee.png (on screen) deleted behind the page');
  await page.locator('#error-close').click();
  await page.locator('#apply-all').click();
  await page.waitForFunction(() => /Apply to all/.test(document.getElementById('error-text').textContent) &&
    !document.getElementById('error-panel').hidden, null, { timeout: 120000 });
  const applyError = await errorText(page);
  check(/1 of 2 failed/.test(applyError) && /coffee\.png: no longer on the server/.test(applyError), `evicted: Apply to all sums up "${applyError}"`);
  check(JSON.stringify(await rowNames(page)) === '["astronaut.png"]', `evicted: Apply to all leaves no failed row (${await rowNames(page)})`);
  await page.waitForFunction(() => document.getElementById('stat-state').textContent.includes('astronaut.png'), null, { timeout: 120000 });
  check(JSON.stringify(await currentRows(page)) === '["astronaut.png"]', 'evicted: the image left is shown, its row aria-current');
  await page.screenshot({ path: path.join(outDir, 'evicted.png'), fullPage: true });
  const unexpected = errors.filter((e) => !/status of 404/.test(e));
  check(unexpected.length === 0, `evicted: no console errors but the 404s ${unexpected.length ? JSON.stringify(unexpected) : ''}`);
  await page.close();
}

// Files dropped as a user drops them (Chromium's own drag, so the entries API is real).
async function dropPaths(page, paths) {
  const cdp = await page.context().newCDPSession(page);
  const box = await page.locator('#drop-zone').boundingBox();
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const data = { items: [], files: paths, dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop']) await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
  await cdp.detach();
}

export async function dropFlow(browser, url, { work, outDir }) {
  const { page, errors } = await openPage(browser, url, { viewport: { width: 1000, height: 800 } });
  const notes = path.join(work, 'dropped-notes.txt');
  const gif = path.join(work, 'dropped.gif');
  writeFileSync(notes, 'not an image');
  writeFileSync(gif, Buffer.from('R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=', 'base64'));
  await dropPaths(page, [notes, gif]);
  await page.waitForFunction(() => /dropped\.gif/.test(document.getElementById('error-text').textContent), null, { timeout: 60000 })
    .catch(() => {});
  const text = await errorText(page);
  check(/dropped-notes\.txt: not an image/.test(text || '') && /dropped\.gif: not an image/.test(text || ''),
        `drop: files that are not images are named, as when picked "${text}"`);
  const folder = path.join(work, 'dropped-folder');
  mkdirSync(folder);
  writePng(path.join(folder, 'small.png'), 16, 8, (x, y) => [x * 16, y * 32, 100]);
  writeFileSync(path.join(folder, 'readme.txt'), 'not an image');
  await dropPaths(page, [folder]);
  await page.waitForFunction(() => document.querySelectorAll('#image-rows tr[data-output-bytes]').length === 1, null, { timeout: 60000 });
  const skipped = await errorText(page);
  check(/skipped/.test(skipped || '') && /readme\.txt/.test(skipped || ''), `drop: a folder's other files are named as skipped "${skipped}"`);
  await page.screenshot({ path: path.join(outDir, 'drop.png') });
  const unexpected = errors.filter((e) => !/status of 415/.test(e));
  check(unexpected.length === 0, `drop: no console errors but the 415s ${unexpected.length ? JSON.stringify(unexpected) : ''}`);
  await page.close();
}

export async function edgeFlow(browser, url, { work, outDir }) {
  const { page, errors } = await openPage(browser, url, { viewport: { width: 1280, height: 1000 } });
  const tiny = path.join(work, 'tiny_3x2.png');
  const wide = path.join(work, 'wide_70000x60.png');
  const strip = path.join(work, 'strip_6000x1.png');
  writePng(tiny, 3, 2, (x, y) => [x * 120, y * 200, 90]);
  writePng(wide, 70000, 60, (x, y) => [(x >> 6) & 255, y * 4, 128]);
  writePng(strip, 6000, 1, (x) => [x & 255, 60, 200]);
  await page.locator('#file-input').setInputFiles([tiny, wide, strip]);
  await page.waitForFunction(() => document.querySelectorAll('#image-rows tr[data-output-bytes]').length === 3, null, { timeout: 120000 });
  check(JSON.stringify(await currentRows(page)) === '["tiny_3x2.png"]', 'edges: the current row is aria-current');
  // A new setting: the figures still shown are the earlier one's, marked so until its result.
  const during = await page.evaluate(() => {
    const slider = document.getElementById('k-slider');
    slider.value = '17';
    slider.dispatchEvent(new Event('input'));
    const pending = document.getElementById('stat-pending');
    return { busy: document.querySelector('.stats').getAttribute('aria-busy'), psnr: document.getElementById('stat-psnr').className,
             state: document.getElementById('stat-state').className, note: pending && !pending.hidden ? pending.textContent : '' };
  });
  check(during.busy === 'true' && /stale/.test(during.psnr) && /stale/.test(during.state) && /K = 17/.test(during.note),
        `stale: while K = 17 is made, the figures are marked (${JSON.stringify(during)})`);
  await waitForImage(page, '-k 17');
  const after = await page.evaluate(() => ({ busy: document.querySelector('.stats').getAttribute('aria-busy'),
    stale: document.querySelectorAll('.stale').length, pending: !document.getElementById('stat-pending') || document.getElementById('stat-pending').hidden }));
  check(after.busy === null && after.stale === 0 && after.pending, `stale: unmarked once the result came (${JSON.stringify(after)})`);
  // A 3x2 image fits at some 300x: + must not zoom out, - not in.
  const fitted = await stageScale(page);
  await page.locator('#zoom-in').click();
  const zoomedIn = await stageScale(page);
  check(fitted > 64 && zoomedIn >= fitted, `zoom: + on a 3x2 image fitted at ${fitted.toFixed(1)}x keeps ${zoomedIn.toFixed(1)}x or more`);
  // 70000 px wide: drawn within the canvas's limits, and said so.
  await page.locator('#image-rows button', { hasText: 'wide_70000x60.png' }).click();
  await waitForImage(page, 'wide_70000x60.png');
  check(JSON.stringify(await currentRows(page)) === '["wide_70000x60.png"]', 'edges: aria-current follows the image picked');
  const drawn = await page.evaluate(() => ['canvas-original', 'canvas-compressed'].map((id) => {
    const c = document.getElementById(id);
    return { width: c.width, alpha: c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data[3] };
  }));
  check(drawn.every((c) => c.width <= 65535 && c.alpha === 255), `canvas limit: 70000 px wide drawn on both sides ${JSON.stringify(drawn)}`);
  const label = await page.locator('#zoom-label').textContent();
  check(/drawn at 1:1\.07/.test(label), `canvas limit: the zoom label says "${label}"`);
  const wideFit = await stageScale(page);
  await page.locator('#zoom-out').click();
  const zoomedOut = await stageScale(page);
  check(zoomedOut <= wideFit, `zoom: - on a 70000-px image fitted at ${wideFit} keeps ${zoomedOut} or less`);
  await page.locator('#viewer').screenshot({ path: path.join(outDir, 'wide-70000.png') });
  // 6000x1 at Fit: at least one device pixel thick.
  await page.locator('#image-rows button', { hasText: 'strip_6000x1.png' }).click();
  await waitForImage(page, 'strip_6000x1.png');
  const thick = await page.$eval('#canvas-compressed', (c) => c.getBoundingClientRect().height * window.devicePixelRatio);
  check(thick >= 0.99, `fit: a 6000x1 strip is ${thick.toFixed(2)} device px thick`);
  await page.locator('#viewer').screenshot({ path: path.join(outDir, 'strip-6000x1.png') });
  // The × of a row: gone from the server and the list, the selection and focus moved on.
  const ids = await idsByName(page);
  await page.getByRole('button', { name: 'remove strip_6000x1.png' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#image-rows tr').length === 2, null, { timeout: 30000 });
  const gone = await fetch(new URL(`/api/images/${ids['strip_6000x1.png']}/original`, url)).then((r) => r.status);
  check(gone === 404, `remove: the server no longer has strip_6000x1.png (${gone})`);
  await waitForImage(page, 'wide_70000x60.png');
  check(JSON.stringify(await currentRows(page)) === '["wide_70000x60.png"]', 'remove: the image before it is shown');
  const focused = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
  check(focused === 'remove wide_70000x60.png', `remove: the focus moves to the next × (${focused})`);
  await page.getByRole('button', { name: 'remove tiny_3x2.png' }).click();
  await page.getByRole('button', { name: 'remove wide_70000x60.png' }).click();
  await page.waitForFunction(() => document.getElementById('image-list').hidden, null, { timeout: 30000 });
  const empty = await page.evaluate(() => ({ empty: !document.getElementById('viewer-empty').hidden, focus: document.activeElement.id,
    zip: document.getElementById('dl-zip').classList.contains('disabled'), psnr: document.getElementById('stat-psnr').textContent }));
  check(empty.empty && empty.focus === 'file-input' && empty.zip && empty.psnr === '–', `remove: the last removed leaves the page as opened ${JSON.stringify(empty)}`);
  check(errors.length === 0, `edges: no console errors ${errors.length ? JSON.stringify(errors) : ''}`);
  await page.close();
}

// A reload, or leaving the page and coming Back, within kmq serve's
// --page-grace: the tab's images listed again in upload order, the one that
// was on screen shown with its result, the others' rows filled in. Another
// tab has its own (empty) list.
export async function reloadFlow(browser, url, { sourceDir, outDir }) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/favicon/.test(m.location().url)) errors.push(m.text()); });
  await page.goto(url);
  const files = ['coffee.png', 'chelsea.png'].map((n) => path.join(sourceDir, 'sample_images', n));
  await page.locator('#file-input').setInputFiles(files);
  await page.waitForFunction(() => document.querySelectorAll('#image-rows tr[data-output-bytes]').length === 2, null, { timeout: 180000 });
  const ids = await idsByName(page);
  await page.locator('#image-rows button.pick', { hasText: 'chelsea.png' }).click();
  await waitForImage(page, 'chelsea.png');
  // The error-against-K chart, whose requests the page numbers too: after the reload it is built again, not refused.
  const curve = async (how) => {
    await page.locator('#show-elbow').click();
    await page.waitForFunction(() => document.getElementById('elbow-note').textContent.startsWith('The PSNR'), null, { timeout: 120000 });
    check(true, `${how}: the error-against-K chart drawn`);
  };
  await curve('before the reload');
  // The chart follows the image picked: more of the page's curve requests, numbered on.
  for (const name of ['coffee.png', 'chelsea.png']) {
    await page.locator('#image-rows button.pick', { hasText: name }).click();
    await waitForImage(page, name);
    await page.waitForFunction(() => document.getElementById('elbow-note').textContent.startsWith('The PSNR'), null, { timeout: 120000 });
  }
  // Settings other than the defaults, which a reload or Back keeps (and a new tab does not).
  await page.evaluate(() => {
    const slider = document.getElementById('k-slider');
    slider.value = '40';
    slider.dispatchEvent(new Event('input', { bubbles: true }));
  });
  // One change at a time: a request the next one supersedes answers 409, which this flow counts as an error.
  await page.waitForFunction(() => /As: .* -k 40$/.test(document.getElementById('stat-state').textContent), null, { timeout: 120000 });
  await page.locator('#dither-toggle').check();
  const resultAt40 = () => /As: .* -k 40 --dither fs$/.test(document.getElementById('stat-state').textContent);
  await page.waitForFunction(resultAt40, null, { timeout: 120000 });
  const settings = (p) => p.evaluate(() => ({
    mode: document.querySelector('input[name=mode]:checked').value, k: document.getElementById('k-slider').value,
    label: document.getElementById('k-value').textContent, level: document.getElementById('level-select').value,
    psnr: document.getElementById('psnr-input').value, dither: document.getElementById('dither-toggle').checked }));
  const defaults = JSON.stringify({ mode: 'k', k: '16', label: '16', level: 'balanced', psnr: '35', dither: false });
  // The browser's own form restoring is off (autocomplete="off"): only the page's kept settings can bring these back.
  const comeBack = async (how, leave) => {
    await leave();
    await page.waitForFunction(() => document.querySelectorAll('#image-rows tr[data-output-bytes]').length === 2, null, { timeout: 180000 });
    check(JSON.stringify(await rowNames(page)) === '["coffee.png","chelsea.png"]', `${how}: the tab's images listed again (${await rowNames(page)})`);
    check(JSON.stringify(await idsByName(page)) === JSON.stringify(ids), `${how}: the same images on the server`);
    await waitForImage(page, 'chelsea.png');
    check(JSON.stringify(await currentRows(page)) === '["chelsea.png"]', `${how}: the image that was on screen shown again`);
    return settings(page);
  };
  for (const [how, leave] of [['reload', () => page.reload()],
                              ['Back', async () => { await page.goto(url + 'api/status'); await page.goBack(); }],
                              ['the address again', () => page.goto(url)]]) {
    const kept = await comeBack(how, leave);
    check(kept.mode === 'k' && kept.k === '40' && kept.label === '40' && kept.dither, `${how}: the settings kept (${JSON.stringify(kept)})`);
    await page.waitForFunction(resultAt40, null, { timeout: 120000 });
    check(true, `${how}: the result shown is the kept settings' (K = 40, dithered)`);
    if (how === 'reload') await curve(how);
  }
  await page.screenshot({ path: path.join(outDir, 'reloaded.png'), fullPage: true });
  // The palette by level: the mode and the level come back too.
  await page.locator('input[name=mode][value=level]').check();
  await page.waitForFunction(() => /As: .* --level balanced --dither fs$/.test(document.getElementById('stat-state').textContent), null, { timeout: 120000 });
  await page.locator('#level-select').selectOption('best');
  const resultAtBest = () => /As: .* --level best --dither fs$/.test(document.getElementById('stat-state').textContent);
  await page.waitForFunction(resultAtBest, null, { timeout: 120000 });
  const byLevel = await comeBack('reload at a level', () => page.reload());
  check(byLevel.mode === 'level' && byLevel.level === 'best' && byLevel.dither && await page.isVisible('#level-select') &&
        !(await page.isVisible('#k-slider')), `reload at a level: the mode and level kept, their control shown (${JSON.stringify(byLevel)})`);
  await page.waitForFunction(resultAtBest, null, { timeout: 120000 });
  const other = await context.newPage();
  await other.goto(url);
  await other.waitForTimeout(1000);
  check((await rowNames(other)).length === 0, `another tab: its own list, empty (${await rowNames(other)})`);
  const fresh = JSON.stringify(await settings(other));
  check(fresh === defaults, `another tab: the default settings (${fresh})`);
  // Kept settings that are not the page's (not JSON, or values no control takes) give the defaults; the page's own are taken.
  const psnr36 = JSON.stringify({ mode: 'psnr', k: '16', label: '16', level: 'balanced', psnr: '36.5', dither: false });
  for (const [stored, want] of [['{"mode":', defaults],
                                ['{"mode":"x\\"]","k":"999","level":"evil","psnr":"35.3","dither":"yes"}', defaults],
                                ['{"mode":"psnr","k":"16","level":"balanced","psnr":"36.5","dither":false}', psnr36]]) {
    const odd = await browser.newContext();
    await odd.addInitScript((value) => { if (window === window.top) sessionStorage.setItem('kmq-settings', value); }, stored);
    const oddPage = await odd.newPage();
    const oddErrors = [];
    oddPage.on('pageerror', (e) => oddErrors.push(String(e)));
    await oddPage.goto(url);
    await oddPage.waitForTimeout(500);
    const got = JSON.stringify(await settings(oddPage));
    check(got === want && oddErrors.length === 0, `settings kept as ${stored}: ${want === defaults ? 'the defaults' : 'taken'}, no error (${got} ${oddErrors})`);
    await odd.close();
  }
  check(errors.length === 0, `reload: no console errors ${errors.length ? JSON.stringify(errors) : ''}`);
  await context.close();
}
