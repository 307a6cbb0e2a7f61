#!/usr/bin/python3
"""kmq serve's answer time over loopback, as the page sees it.

Makes a 12-megapixel photo (sample_images/volna-5120x2880.jpg resized to
4000x3000 with Pillow, in a temporary folder), starts kmq-serve on a free
port, uploads it once and then asks for previews at K = 8, 16, 32, 64 (the
goal: <= 150 ms each on this machine's CPU) and 128, 256 (for information),
each several times, in a shuffled order so that no K follows itself. A preview
is what the page paints: palette + label map (1 byte per pixel, 12 MB); the
time is from sending the request to the last byte received. The first result
(upload: decode + colour count, then the first preview) is timed apart, and so
is the follow-up full result (run_job: the PNG and statistics). Writes
results/serve/latency.md and results/serve/latency.svg, with the machine, its
load and kmq-serve's peak memory.

  bench/serve_latency.py [build/kmq-serve] [--repeats 5]
"""
import argparse
from html import escape
import http.client
import io
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

from PIL import Image

from machine_info import machine_line

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KS = [8, 16, 32, 64, 128, 256]
GOAL_MS = 150.0


def machine():
    return machine_line(platform.node() or "this machine")


def request(conn, method, path, body=None):
    start = time.perf_counter()
    conn.request(method, path, body=body)
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
    return data, elapsed


def preview_stats(data):
    length = int.from_bytes(data[:4], "little")
    return json.loads(data[4:4 + length])


def peak_memory_kib(pid, field="VmHWM:"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def svg_plot(rows, path, subtitle):
    """Median answer time per K (bars) with min-max whiskers and the 150 ms goal."""
    width, height, left, bottom, top = 640, 380, 60, 70, 60
    top_ms = max(max(r["max"] for r in rows), GOAL_MS) * 1.15
    bar_w = (width - left - 20) / len(rows)
    y = lambda ms: top + (height - top - bottom) * (1 - ms / top_ms)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="#fff"/>',
           '<text x="10" y="18" font-size="14">kmq serve: a new K answered over loopback (12 MP image)</text>',
           f'<text x="10" y="34" font-size="10">{escape(subtitle)}</text>']
    for tick in range(0, int(top_ms) + 1, 50 if top_ms < 400 else 100):
        out.append(f'<line x1="{left}" x2="{width - 20}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>')
    for i, r in enumerate(rows):
        x = left + i * bar_w + bar_w * 0.2
        w = bar_w * 0.6
        colour = "#1d5fbf" if r["k"] <= 64 else "#8aa9d6"
        out.append(f'<rect x="{x:.1f}" y="{y(r["median"]):.1f}" width="{w:.1f}" height="{y(0) - y(r["median"]):.1f}" fill="{colour}"/>')
        cx = x + w / 2
        out.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(r["min"]):.1f}" y2="{y(r["max"]):.1f}" stroke="#000"/>')
        out.append(f'<text x="{cx:.1f}" y="{height - bottom + 16}" text-anchor="middle">K={r["k"]}</text>')
    out.append(f'<line x1="{left}" x2="{width - 20}" y1="{y(GOAL_MS):.1f}" y2="{y(GOAL_MS):.1f}" stroke="#b8323a" stroke-dasharray="6 4"/>')
    out.append(f'<text x="{left + 4}" y="{y(GOAL_MS) - 4:.1f}" fill="#b8323a">goal 150 ms (K &#8804; 64)</text>')
    out.append(f'<text x="14" y="{top + (height - top - bottom) / 2:.0f}" transform="rotate(-90 14 {top + (height - top - bottom) / 2:.0f})" text-anchor="middle">ms, request to preview received</text>')
    legend_y = height - 22
    out += [f'<rect x="{left}" y="{legend_y - 9}" width="12" height="10" fill="#1d5fbf"/>',
            f'<text x="{left + 16}" y="{legend_y}">median, K &#8804; 64 (the goal\'s K)</text>',
            f'<rect x="{left + 230}" y="{legend_y - 9}" width="12" height="10" fill="#8aa9d6"/>',
            f'<text x="{left + 246}" y="{legend_y}">median, K &gt; 64 (for information)</text>',
            f'<line x1="{left + 470}" x2="{left + 470}" y1="{legend_y - 11}" y2="{legend_y + 1}" stroke="#000"/>',
            f'<text x="{left + 476}" y="{legend_y}">min to max</text>']
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server", nargs="?", default=os.path.join(ROOT, "build", "kmq-serve"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(ROOT, "results", "serve"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    with tempfile.TemporaryDirectory() as work:
        photo = os.path.join(work, "volna-4000x3000.jpg")
        Image.open(os.path.join(ROOT, "sample_images", "volna-5120x2880.jpg")).convert("RGB").resize(
            (4000, 3000), Image.LANCZOS).save(photo, quality=92)
        body = open(photo, "rb").read()

        load_before = os.getloadavg()
        server = subprocess.Popen([args.server, "--port", "0"], stdout=subprocess.PIPE, text=True)
        try:
            port = int(re.search(r"127\.0\.0\.1:(\d+)/", server.stdout.readline()).group(1))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            status, _ = request(conn, "GET", "/api/status")
            backend = json.loads(status).get("backend", "unknown backend")
            data, upload_s = request(conn, "POST", "/api/images?name=volna-4000x3000.jpg", body)
            image = json.loads(data)
            base = f"/api/images/{image['id']}"
            data, first_preview_s = request(conn, "GET", f"{base}/preview?k=16&seq=1")
            _, first_full_s = request(conn, "GET", f"{base}/result?k=16&seq=1")

            order = [k for k in KS for _ in range(args.repeats)]
            random.Random(0).shuffle(order)
            for i in range(1, len(order)):  # no K right after itself
                if order[i] == order[i - 1]:
                    j = next((j for j in range(i + 1, len(order)) if order[j] != order[i]), None)
                    if j is not None:
                        order[i], order[j] = order[j], order[i]
            times = {k: [] for k in KS}
            server_times = {k: [] for k in KS}
            quantize_times = {k: [] for k in KS}
            remap_times = {k: [] for k in KS}
            seq = 1
            for k in order:
                seq += 1
                data, elapsed = request(conn, "GET", f"{base}/preview?k={k}&seq={seq}")
                times[k].append(elapsed * 1000)
                stats = preview_stats(data)
                server_times[k].append(stats["seconds"] * 1000)
                quantize_times[k].append(stats["quantize_seconds"] * 1000)
                remap_times[k].append(stats["remap_seconds"] * 1000)
            full = {}
            for k in (24, 48):  # not asked before: no kept result to reuse
                seq += 1
                _, elapsed = request(conn, "GET", f"{base}/result?k={k}&seq={seq}")
                full[k] = elapsed * 1000
            peak_kib = peak_memory_kib(server.pid)
            resident_kib = peak_memory_kib(server.pid, "VmRSS:")
        finally:
            server.terminate()
            server.wait()
        load_after = os.getloadavg()

    rows = []
    for k in KS:
        t = times[k]
        rows.append({"k": k, "median": statistics.median(t), "min": min(t), "max": max(t),
                     "server": statistics.median(server_times[k]),
                     "quantize": statistics.median(quantize_times[k]), "remap": statistics.median(remap_times[k])})
    svg_plot(rows, os.path.join(args.out, "latency.svg"),
             f"{machine()}; {args.repeats} requests a K; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    met = all(r["median"] <= GOAL_MS for r in rows if r["k"] <= 64)
    lines = [
        f"# kmq serve: a new K answered, over loopback ({time.strftime('%Y-%m-%d', time.gmtime())})",
        "",
        f"Machine: {machine()}; kmq-serve with its defaults (backend {backend} as it reports, 1 worker).",
        f"Load average (1, 5, 15 min) before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
        f"after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} (the machine is shared with other work).",
        f"Image: sample_images/volna-5120x2880.jpg resized to 4000x3000 (12.0 megapixels, {len(body):,} bytes JPEG), "
        f"{image['distinct_colors']:,} distinct colours. kmq-serve's peak resident memory: {peak_kib / 1024:.0f} MiB "
        f"(while full results run), {resident_kib / 1024:.0f} MiB at the end with the image kept (`/proc/PID/status`).",
        "",
        "First result (once per upload): upload, decode and colour count "
        f"{upload_s * 1000:.0f} ms, then the first preview (K = 16) {first_preview_s * 1000:.0f} ms; "
        f"its full result (run_job on the upload as decoded: cluster, PNG, PSNR/SSIM) {first_full_s * 1000:.0f} ms.",
        "",
        f"A new K: request sent to preview received (palette + 12 MB label map), {args.repeats} requests per K in a shuffled order;"
        " server = the time the server reports for the whole preview, of which quantize (seeding, Lloyd, palette) and remap (the label map).",
        "",
        "| K | median ms | min ms | max ms | server median ms | quantize ms | remap ms | goal <= 150 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        goal = ("met" if r["median"] <= GOAL_MS else "missed") if r["k"] <= 64 else "(information)"
        lines.append(f"| {r['k']} | {r['median']:.0f} | {r['min']:.0f} | {r['max']:.0f} | {r['server']:.0f} | "
                     f"{r['quantize']:.0f} | {r['remap']:.0f} | {goal} |")
    lines += [
        "",
        f"Full result after a new K (sizes, PSNR, SSIM; the page asks for it after the preview): "
        f"K = 24 {full[24]:.0f} ms, K = 48 {full[48]:.0f} ms.",
        "",
        f"Goal (<= 150 ms for K <= 64, median): {'met' if met else 'not met'} on this machine. "
        "Not counted: the page's painting of the label map (one pass over 12 M pixels in JavaScript).",
        "",
        "![answer time per K](latency.svg)",
        "",
    ]
    with open(os.path.join(args.out, "latency.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
