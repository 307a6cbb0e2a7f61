// kmq serve end to end in headless Chromium (playwright-core driving the
// system's /usr/bin/chromium): upload a sample photo, move the K slider, wait
// for the result, check the sizes and PSNR shown against `kmq compress
// --json`; the same with the keyboard only and in a 375-px-wide window; a bad
// upload shows the error panel (several: each named); an image with alpha
// shown honestly; several images and the zip; the report view; the error
// against K, whose points pick K; then page_e2e.mjs's edges.
// Screenshots go to OUT_DIR (results/serve/). Usage:
//   node serve_e2e.mjs KMQ_BINARY KMQ_SERVE_BINARY SOURCE_DIR OUT_DIR
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { check, crc32, fail, failureCount, openPage, waitForResult } from './helpers.mjs';
import { dropFlow, evictedFlow, edgeFlow, reloadFlow } from './page_e2e.mjs';

const [kmq, kmqServe, sourceDir, outDir] = process.argv.slice(2);
const sample = path.join(sourceDir, 'sample_images', 'fruits.jpg');
const others = ['coffee.png', 'chelsea.png', 'astronaut.png'].map((n) => path.join(sourceDir, 'sample_images', n));
const work = mkdtempSync(path.join(tmpdir(), 'kmq-e2e-'));
mkdirSync(outDir, { recursive: true });

// What `kmq compress --json` says for the same image and settings.
function compressJson(input, flags) {
  const out = path.join(work, 'expected.png');
  rmSync(out, { force: true });
  const line = execFileSync(kmq, ['compress', input, '-o', out, '--json', ...flags], { encoding: 'utf8' });
  return JSON.parse(line);
}

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(kmqServe, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
      const m = text.match(/(http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`kmq-serve exited with ${code} before printing its URL`)));
  });
}

// The numbers on the page against kmq compress --json for the K the slider shows.
async function compareWithCompress(page, label, flags = []) {
  const k = Number(await page.locator('#k-value').textContent());
  await waitForResult(page, k);
  const shown = await page.evaluate(() => {
    const v = (id) => document.getElementById(id).dataset.value;
    const t = (id) => document.getElementById(id).textContent;
    return { input: v('stat-input-bytes'), output: v('stat-output-bytes'), psnr: v('stat-psnr'),
             psnrText: t('stat-psnr'), outputText: t('stat-output-bytes'), palette: v('stat-colors') };
  });
  const expected = compressJson(sample, ['-k', String(k), ...flags]);
  check(Number(shown.input) === expected.input_bytes, `${label}: size before ${shown.input} = kmq compress ${expected.input_bytes}`);
  check(Number(shown.output) === expected.output_bytes, `${label}: size after ${shown.output} = kmq compress ${expected.output_bytes}`);
  check(shown.outputText.startsWith(expected.output_bytes.toLocaleString('en-US')), `${label}: size shown as "${shown.outputText}"`);
  check(Number(shown.psnr) === expected.psnr, `${label}: PSNR ${shown.psnr} = kmq compress ${expected.psnr}`);
  check(shown.psnrText === `${expected.psnr.toFixed(2)} dB`, `${label}: PSNR shown as "${shown.psnrText}"`);
  check(Number(shown.palette) === expected.palette_size, `${label}: ${shown.palette} colours (K = ${k})`);
  return k;
}

// The page's numbers for a level or PSNR target against kmq compress with the same flags.
async function compareTarget(page, label, stateText, flags) {
  await page.waitForFunction((want) => document.getElementById('stat-state').textContent.endsWith(want), stateText, { timeout: 120000 });
  const shown = await page.evaluate(() => ({
    output: Number(document.getElementById('stat-output-bytes').dataset.value),
    psnr: Number(document.getElementById('stat-psnr').dataset.value),
    palette: Number(document.getElementById('stat-colors').dataset.value),
  }));
  const expected = compressJson(sample, flags);
  check(shown.output === expected.output_bytes && shown.psnr === expected.psnr && shown.palette === expected.palette_size,
        `${label}: ${shown.palette} colours, ${shown.output} bytes, PSNR ${shown.psnr} = kmq compress ${expected.palette_size}, ${expected.output_bytes}, ${expected.psnr}`);
}

async function mouseFlow(browser, url) {
  const { page, errors } = await openPage(browser, url, { viewport: { width: 1280, height: 1000 } });
  await page.locator('#file-input').setInputFiles(sample);
  await waitForResult(page, 16);
  // Drag the slider's thumb to the right, as a user does: previews follow it.
  const slider = page.locator('#k-slider');
  const box = await slider.boundingBox();
  const from = box.x + box.width * (16 / 256);
  await page.mouse.move(from, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 8; ++i) await page.mouse.move(from + (box.width * 0.1 * i) / 8, box.y + box.height / 2);
  await page.mouse.up();
  const k = await compareWithCompress(page, 'mouse');
  check(k > 16, `mouse: the slider moved K to ${k}`);
  // Zoom to 1:1 and move the divider: both sides stay in step.
  await page.locator('#zoom-one').click();
  const transforms = await page.$$eval('.stage', (s) => s.map((e) => e.style.transform));
  check(transforms.length === 2 && transforms[0] === transforms[1] && transforms[0].includes('scale(1)'), 'mouse: 1:1 on both sides in step');
  await page.locator('#zoom-fit').click();
  await page.locator('#dither-toggle').check();
  await page.waitForFunction(() => document.getElementById('stat-state').textContent.includes('--dither fs'), null, { timeout: 120000 });
  await compareWithCompress(page, 'mouse, dithered', ['--dither', 'fs']);
  await page.screenshot({ path: path.join(outDir, 'desktop.png'), fullPage: true });
  // A level, then a PSNR target, instead of K.
  await page.locator('#dither-toggle').uncheck();
  await page.locator('input[name=mode][value=level]').check();
  await page.locator('#level-select').selectOption('best');
  await compareTarget(page, 'level best', '--level best', ['--level', 'best']);
  await page.locator('input[name=mode][value=psnr]').check();
  await page.locator('#psnr-input').fill('33');
  await page.locator('#psnr-input').dispatchEvent('change');
  await compareTarget(page, 'PSNR target 33 dB', '--quality 33', ['--quality', '33']);
  // The proof: the report of --report, in the page.
  await page.locator('#show-report').click();
  const frame = page.frameLocator('#report-frame');
  await frame.locator('#palette').waitFor({ timeout: 120000 });
  check(await frame.locator('#wcss').count() === 1 && await frame.locator('#clusters').count() === 1, 'report: palette, WCSS and clusters shown');
  await page.locator('#report-frame').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(outDir, 'report.png') });
  check(errors.length === 0, `mouse: no console errors ${errors.length ? JSON.stringify(errors) : ''}`);
  await page.close();
}

async function keyboardFlow(browser, url, width, name) {
  const { page, errors } = await openPage(browser, url, { viewport: { width, height: 900 } });
  // Tab to the file input and open it with the keyboard.
  const focusOn = async (id) => {
    for (let i = 0; i < 40; ++i) {
      if (await page.evaluate((want) => document.activeElement && document.activeElement.id === want, id)) return true;
      await page.keyboard.press('Tab');
    }
    return false;
  };
  check(await focusOn('file-input'), `${name}: the file input is reachable with Tab`);
  // Space opens the file chooser. The first press can come before Chromium
  // reports choosers to the test (a race in turning that on), so try again.
  let chooser = null;
  for (let attempt = 0; attempt < 3 && !chooser; ++attempt) {
    const waiting = page.waitForEvent('filechooser', { timeout: 10000 }).catch(() => null);
    await page.keyboard.press('Space');
    chooser = await waiting;
  }
  check(chooser !== null, `${name}: Space on the file input opens the file chooser`);
  await chooser.setFiles(sample);
  await waitForResult(page, 16);
  check(await focusOn('k-slider'), `${name}: the K slider is reachable with Tab`);
  for (let i = 0; i < 8; ++i) await page.keyboard.press('ArrowRight');
  const k = await compareWithCompress(page, name);
  check(k === 24, `${name}: eight ArrowRight presses made K ${k}`);
  check(await focusOn('viewer'), `${name}: the viewer is reachable with Tab`);
  await page.keyboard.press('1');
  check((await page.locator('#zoom-label').textContent()) === '1:1', `${name}: key 1 zooms to 1:1`);
  await page.keyboard.press('0');
  if (width <= 400) {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    check(overflow <= width, `${name}: no sideways scrolling at ${width} px (page is ${overflow} px wide)`);
  }
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
  check(errors.length === 0, `${name}: no console errors ${errors.length ? JSON.stringify(errors) : ''}`);
  await page.close();
}

async function errorFlow(browser, url) {
  const { page, errors } = await openPage(browser, url, { viewport: { width: 800, height: 700 } });
  const junk = path.join(work, 'notes.txt');
  writeFileSync(junk, 'not an image at all');
  await page.locator('#file-input').setInputFiles(junk);
  await page.locator('#error-panel').waitFor({ state: 'visible' });
  const text = await page.locator('#error-text').textContent();
  check(/notes\.txt: not an image/.test(text), `bad upload: the error panel says "${text}"`);
  await page.screenshot({ path: path.join(outDir, 'error.png') });
  // Several bad files at once: each is named, not only the last.
  const empty = path.join(work, 'empty.png');
  writeFileSync(empty, '');
  await page.locator('#file-input').setInputFiles([junk, empty]);
  await page.waitForFunction(() => /empty\.png/.test(document.getElementById('error-text').textContent), null, { timeout: 60000 });
  const both = await page.locator('#error-text').textContent();
  check(/notes\.txt/.test(both) && /empty\.png/.test(both), `bad uploads: both named in the error panel "${both}"`);
  const unexpected = errors.filter((e) => !/status of 41[5]|status of 422/.test(e));
  check(unexpected.length === 0, `bad upload: no console errors but the 415 and 422 ${unexpected.length ? JSON.stringify(unexpected) : ''}`);
  await page.close();
}

// An image with alpha, the divider at 0 (all compressed): what the viewer
// shows is the compressed layer alone over the checkerboard; the original
// must not show through its transparent or translucent pixels.
async function alphaFlow(browser, url) {
  const { page, errors } = await openPage(browser, url, { viewport: { width: 1000, height: 800 } });
  await page.locator('#file-input').setInputFiles(path.join(sourceDir, 'tests', 'golden', 'sprite-rgba-128.png'));
  await waitForResult(page, 16);
  await page.$eval('#divider', (el) => { el.value = 0; el.dispatchEvent(new Event('input')); });
  const shown = await page.locator('#viewer').screenshot();
  await page.$eval('#layer-original', (el) => { el.style.visibility = 'hidden'; });
  const alone = await page.locator('#viewer').screenshot();
  check(Buffer.compare(shown, alone) === 0, 'alpha: the compressed side shows the compressed pixels alone (nothing of the original under them)');
  check(errors.length === 0, `alpha: no console errors ${errors.length ? JSON.stringify(errors) : ''}`);
  await page.close();
}

// An animated PNG (an acTL chunk of 2 frames after IHDR, none of them the
// image shown, which has no fcTL): the page says, as
// kmq compress does, that only its first frame is compressed.
async function animatedFlow(browser, url) {
  const { page, errors } = await openPage(browser, url, { viewport: { width: 1280, height: 900 } });
  const png = readFileSync(path.join(sourceDir, 'sample_images', 'chelsea.png'));
  const body = Buffer.from([0x61, 0x63, 0x54, 0x4c, 0, 0, 0, 2, 0, 0, 0, 0]);  // "acTL", 2 frames, played forever
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  const animated = path.join(work, 'animated.png');
  writeFileSync(animated, Buffer.concat([png.subarray(0, 33), Buffer.from([0, 0, 0, 8]), body, crc, png.subarray(33)]));
  await page.locator('#file-input').setInputFiles(animated);
  await page.waitForFunction(() => document.getElementById('stat-state').textContent.includes('As: '), null, { timeout: 120000 });
  const state = await page.locator('#stat-state').textContent();
  check(state.startsWith('Note: holds 2 more frames: only the first is compressed. As: kmq compress'),
        `animated PNG: the state line says "${state}"`);
  await page.screenshot({ path: path.join(outDir, 'animated-note.png'), fullPage: true });
  check(errors.length === 0, `animated PNG: no console errors ${errors.length ? JSON.stringify(errors) : ''}`);
  await page.close();
}

async function manyFlow(browser, url) {
  const { page, errors } = await openPage(browser, url, { viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  // One photo picked, then a folder of three more (and a text file, left out).
  await page.locator('#file-input').setInputFiles(sample);
  const folder = path.join(work, 'folder');
  mkdirSync(folder);
  for (const file of others) writeFileSync(path.join(folder, path.basename(file)), readFileSync(file));
  writeFileSync(path.join(folder, 'notes.txt'), 'not an image');
  await page.locator('#folder-input').setInputFiles(folder);
  await page.waitForFunction(() => document.querySelectorAll('#image-rows tr[data-output-bytes]').length === 4, null, { timeout: 180000 });
  const skipped = await page.locator('#error-text').textContent();
  check(/skipped in the folder.*notes\.txt/.test(skipped), `folder: the file left out is named "${skipped}"`);
  // One setting for all: K = 8.
  await page.locator('#k-slider').focus();
  await page.keyboard.press('Home');
  for (let i = 0; i < 7; ++i) await page.keyboard.press('ArrowRight');
  await waitForResult(page, 8);
  await page.locator('#apply-all').click();
  await page.waitForFunction(
    () => Array.from(document.querySelectorAll('#image-rows tr')).every((r) => (r.dataset.settings || '').includes(' -k 8')),
    null, { timeout: 180000 });
  const rows = await page.$$eval('#image-rows tr', (rs) => rs.map((r) => ({ name: r.cells[0].textContent, bytes: Number(r.dataset.outputBytes) })));
  for (const row of rows) {
    const input = path.join(sourceDir, 'sample_images', row.name);
    const expected = compressJson(input, ['-k', '8']);
    check(row.bytes === expected.output_bytes, `list: ${row.name} at K = 8 is ${row.bytes} bytes = kmq compress ${expected.output_bytes}`);
  }
  const download = page.waitForEvent('download');
  await page.locator('#dl-zip').click();
  const zipPath = path.join(work, 'all.zip');
  await (await download).saveAs(zipPath);
  const zip = readFileSync(zipPath);
  const names = [];
  // The central directory: one "PK\x01\x02" record per file, its name at offset 46.
  for (let at = zip.indexOf('PK\x01\x02', 0, 'latin1'); at >= 0; at = zip.indexOf('PK\x01\x02', at + 46, 'latin1')) {
    names.push(zip.subarray(at + 46, at + 46 + zip.readUInt16LE(at + 28)).toString('utf8'));
  }
  check(zip.subarray(0, 4).toString('latin1') === 'PK\x03\x04', 'zip: a zip archive was downloaded');
  check(JSON.stringify(names.sort()) === JSON.stringify(['astronaut.png', 'chelsea.png', 'coffee.png', 'fruits.png']), `zip: holds ${names.join(', ')}`);
  await page.screenshot({ path: path.join(outDir, 'several.png'), fullPage: true });
  check(errors.length === 0, `several: no console errors ${errors.length ? JSON.stringify(errors) : ''}`);
  await page.close();
}

// The error against K: the chart's points are kmq compress --elbow's palettes,
// a point (clicked, or Enter on it) picks its K, the rule follows the setting,
// and the report on the page gains its elbow section.
async function elbowFlow(browser, url) {
  const { page, errors } = await openPage(browser, url, { viewport: { width: 1280, height: 1000 } });
  await page.locator('#file-input').setInputFiles(sample);
  await waitForResult(page, 16);
  await page.locator('#show-elbow').click();
  await page.waitForFunction(() => document.getElementById('elbow-note').textContent.startsWith('The PSNR'), null, { timeout: 120000 });
  const points = await page.$$eval('#elbow-chart .pick', (cs) => cs.map((c) => c.getAttribute('aria-label')));
  const expected = compressJson(sample, ['-k', '16', '--elbow']).elbow;
  const wanted = expected.map((p) => `K = ${p.k}: ${p.psnr === null ? 'lossless' : p.psnr.toFixed(2) + ' dB'}; use this K`);
  check(JSON.stringify(points) === JSON.stringify(wanted), `elbow: the chart's points ${JSON.stringify(points)} are kmq compress --elbow's`);
  check(await page.locator('#elbow-chart .mark-label').textContent() === 'K = 16', 'elbow: the rule marks K = 16');
  const linked = await page.locator('#dl-report').getAttribute('href');
  check(/[?&]elbow=1(&|$)/.test(linked), `elbow: once the curve is shown, the report download asks for it (${linked})`);
  await page.locator('#elbow-chart .pick[data-k="64"]').click();
  check(await page.locator('#k-slider').inputValue() === '64', 'elbow: clicking the point of K = 64 moves the slider there');
  await compareWithCompress(page, 'elbow, K = 64 picked');
  check(await page.locator('#elbow-chart .mark-label').textContent() === 'K = 64', 'elbow: the rule follows to K = 64');
  await page.locator('#elbow-chart .pick[data-k="8"]').focus();
  await page.keyboard.press('Enter');
  await compareWithCompress(page, 'elbow, K = 8 picked with Enter');
  const focused = await page.evaluate(() => document.activeElement.getAttribute('data-k'));
  check(focused === '8', `elbow: the point picked with Enter keeps the focus when the chart is drawn again (${focused})`);
  await page.screenshot({ path: path.join(outDir, 'elbow.png'), fullPage: true });
  await page.locator('#show-report').click();
  const frame = page.frameLocator('#report-frame');
  await frame.locator('#elbow-psnr-plot').waitFor({ timeout: 120000 });
  check(await frame.locator('#elbow-plot').count() === 1, 'elbow: the report on the page has its elbow section');
  const href = await page.locator('#dl-report').getAttribute('href');
  check(/[?&]elbow=1(&|$)/.test(href), `elbow: the report download asks for the elbow too (${href})`);
  check(errors.length === 0, `elbow: no console errors ${errors.length ? JSON.stringify(errors) : ''}`);
  await page.close();
}

const { child, url } = await startServer();
let browser;
try {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  await mouseFlow(browser, url);
  await keyboardFlow(browser, url, 1280, 'keyboard');
  await keyboardFlow(browser, url, 375, 'narrow-375');
  await errorFlow(browser, url);
  await alphaFlow(browser, url);
  await animatedFlow(browser, url);
  await manyFlow(browser, url);
  await elbowFlow(browser, url);
  await evictedFlow(browser, url, { sourceDir, outDir });
  await reloadFlow(browser, url, { sourceDir, outDir });
  await dropFlow(browser, url, { work, outDir });
  await edgeFlow(browser, url, { work, outDir });
} catch (e) {
  fail(e.stack || e);
} finally {
  if (browser) await browser.close();
  child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
console.log(failureCount() === 0 ? 'e2e: all passed' : `e2e: ${failureCount()} failed`);
process.exit(failureCount() === 0 ? 0 : 1);
