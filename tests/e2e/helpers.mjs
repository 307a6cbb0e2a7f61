// What the flows of serve_e2e.mjs and page_e2e.mjs share: the checks'
// count, pages with their console watched, waiting for a result, and small
// PNGs made on the spot (odd sizes that no sample image has).
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

let failures = 0;

export function check(condition, what) {
  if (condition) { console.log(`ok   ${what}`); return; }
  console.log(`FAIL ${what}`);
  failures += 1;
}

export function fail(what) {
  console.log(`FAIL ${what}`);
  failures += 1;
}

export const failureCount = () => failures;

// Console errors, apart from the 409s that a superseded request answers by design.
function watchConsole(page, errors) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (/status of 409/.test(msg.text())) return;
    errors.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
}

// A page of the server with its console watched (errors collected).
export async function openPage(browser, url, options) {
  const page = await browser.newPage(options);
  const errors = [];
  watchConsole(page, errors);
  await page.goto(url);
  return { page, errors };
}

export async function waitForResult(page, k) {
  await page.waitForFunction(
    (want) => {
      const state = document.getElementById('stat-state').textContent;
      return document.getElementById('stat-output-bytes').dataset.value !== undefined && state.includes(` -k ${want}`);
    },
    k,
    { timeout: 120000 },
  );
}

// CRC-32 of PNG chunks (zlib's polynomial).
export function crc32(bytes) {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; ++k) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, body) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])));
  return Buffer.concat([head, body, crc]);
}

// An opaque RGB PNG of width x height; rgb(x, y) gives [r, g, b].
export function writePng(file, width, height, rgb) {
  const raw = Buffer.alloc(height * (1 + 3 * width));
  for (let y = 0, o = 0; y < height; ++y) {
    raw[o++] = 0;  // no filter
    for (let x = 0; x < width; ++x, o += 3) raw.set(rgb(x, y), o);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);  // 8 bits, RGB
  writeFileSync(file, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
}
