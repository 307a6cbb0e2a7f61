"""bench/bar_chart.py: well-formed SVG, bars proportional to their values on
linear and log axes, the reference line where a bar of its value ends,
unmeasured values as dashes, names escaped, the legend only for several
series, the machine line whole; and the charts drawn from a Markdown table."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import bar_chart  # noqa: E402

NS = "{http://www.w3.org/2000/svg}"


def read(path):
    with open(path) as f:
        return f.read()


def parse(svg):
    return ET.fromstring(svg)  # raises on XML that is not well-formed


def bars(root):
    return [r for r in root.iter(NS + "rect") if r.find(NS + "title") is not None]


def texts(root):
    return [t.text for t in root.iter(NS + "text")]


def num(e, a):
    return float(e.get(a))


class BarChart(unittest.TestCase):
    def test_linear_bars_are_proportional(self):
        p = bar_chart.panel("ms", [("a", [10]), ("b", [25]), ("c", [40])], decimals=1, suffix=" ms")
        root = parse(bar_chart.render("t", "m", [p]))
        b = bars(root)
        self.assertEqual(len(b), 3)
        self.assertEqual({num(r, "x") for r in b}, {num(b[0], "x")})
        self.assertAlmostEqual(num(b[1], "width") / num(b[0], "width"), 2.5, delta=0.02)
        self.assertAlmostEqual(num(b[2], "width") / num(b[0], "width"), 4.0, delta=0.02)
        self.assertIn("25.0 ms", texts(root))

    def test_log_bars_and_reference(self):
        p = bar_chart.panel("x", [("x", [10]), ("y", [100]), ("z", [1000])], log=True, reference=1,
                            reference_label="parity", decimals=1, suffix="x")
        root = parse(bar_chart.render("t", "m", [p]))
        b = bars(root)
        self.assertAlmostEqual(num(b[1], "width") / num(b[0], "width"), 2.0, delta=0.02)
        self.assertAlmostEqual(num(b[2], "width") / num(b[0], "width"), 3.0, delta=0.02)
        dashed = [l for l in root.iter(NS + "line") if l.get("stroke-dasharray")]
        self.assertEqual(len(dashed), 1)
        self.assertAlmostEqual(num(dashed[0], "x1"), num(b[0], "x"), delta=0.1)
        self.assertIn("parity", texts(root))

    def test_reference_on_a_linear_axis(self):
        p = bar_chart.panel("r", [("one", [1.0]), ("half", [0.5])], reference=1)
        root = parse(bar_chart.render("t", "m", [p]))
        b = bars(root)
        dashed = [l for l in root.iter(NS + "line") if l.get("stroke-dasharray")][0]
        self.assertAlmostEqual(num(dashed, "x1"), num(b[0], "x") + num(b[0], "width"), delta=0.1)

    def test_negative_values_extend_the_axis_left_of_zero(self):
        p = bar_chart.panel("%", [("down", [-2.0]), ("up", [6.0])])
        root = parse(bar_chart.render("t", "m", [p]))
        down, up = bars(root)
        self.assertAlmostEqual(num(down, "x") + num(down, "width"), num(up, "x"), delta=0.1)  # both from 0
        self.assertAlmostEqual(num(up, "width") / num(down, "width"), 3.0, delta=0.02)
        self.assertIn("-2", texts(root))  # a tick left of 0
        mixed = parse(bar_chart.render("t", "m", [bar_chart.panel("%", [("a", [-3.0]), ("b", [7.0])])]))
        axis = [l for l in mixed.iter(NS + "line") if l.get("stroke") == "#888"][0]
        grid = [l for l in mixed.iter(NS + "line") if l.get("stroke") == "#e4e4e4"]
        self.assertTrue(all(num(axis, "x1") - 0.1 <= num(l, "x1") <= num(axis, "x2") + 0.1 for l in grid))

    def test_unmeasured_is_a_dash(self):
        p = bar_chart.panel("MiB", [("img", [12, None]), ("img2", [float("nan"), 3])], series=["kmq", "peer"])
        root = parse(bar_chart.render("t", "m", [p]))
        self.assertEqual(len(bars(root)), 2)
        self.assertEqual(texts(root).count("–"), 2)
        log = bar_chart.panel("x", [("zero", [0]), ("two", [2])], log=True)
        self.assertEqual(len(bars(parse(bar_chart.render("t", "m", [log])))), 1)

    def test_escaping_and_legend(self):
        p = bar_chart.panel("a <b> & c", [('x<y>&"z"', [1, 2])], series=["kmq", "cv::kmeans"])
        root = parse(bar_chart.render("chart & title", "m", [p]))
        for wanted in ('x<y>&"z"', "a <b> & c", "chart & title", "cv::kmeans"):
            self.assertIn(wanted, texts(root))
        one = bar_chart.panel("p", [("x", [1])], series=["only"])
        self.assertNotIn("only", texts(parse(bar_chart.render("t", "m", [one]))))

    def test_machine_line_wrapped_whole(self):
        machine = " ".join(f"word{i}" for i in range(40))
        lines = [t for t in texts(parse(bar_chart.render("t", machine, []))) if t.startswith("word")]
        self.assertGreaterEqual(len(lines), 2)
        self.assertTrue(all(len(l) <= 118 for l in lines))
        self.assertEqual(" ".join(lines), machine)


class SameBytesAsCpp(unittest.TestCase):
    """bench/bar_chart.cpp and this module write the same SVG for the same chart."""

    CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bar_chart_cases.json")

    def test_every_case(self):
        render = os.environ.get("KMQ_BAR_CHART_RENDER")
        if not render:
            self.skipTest("KMQ_BAR_CHART_RENDER unset: ctest sets it to the bar_chart_render it builds")
        cpp = subprocess.run([render, self.CASES], capture_output=True, text=True, check=True).stdout
        with open(self.CASES, encoding="utf-8") as f:
            cases = json.load(f)
        python = ""
        for case in cases:
            panels = [bar_chart.panel(p["title"], [(label, [None if v is None else float(v) for v in values])
                                                   for label, values in p["rows"]],
                                      p.get("series", ()), p.get("log", False), float(p.get("reference", 0)),
                                      p.get("reference_label", ""), p.get("decimals", 2), p.get("suffix", ""))
                      for p in case["panels"]]
            python += bar_chart.render(case["title"], case["machine"], panels)
        for n, (a, b) in enumerate(zip(cpp.splitlines(), python.splitlines())):
            self.assertEqual(a, b, f"line {n + 1}: C++ and Python differ")
        self.assertEqual(len(cpp.splitlines()), len(python.splitlines()))
        self.assertEqual(cpp, python)


class FromJson(unittest.TestCase):
    """The charts of kmq_gpu_bench's and Google Benchmark's JSON (bench/gpu_bench_chart.py, google_benchmark_chart.py)."""

    def run_script(self, script, data):
        bench = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "run.json")
            with open(path, "w") as f:
                json.dump(data, f)
            subprocess.run([sys.executable, os.path.join(bench, script), path], check=True, capture_output=True)
            return parse(read(os.path.join(d, "gpu_bench.svg" if script == "gpu_bench_chart.py" else "run.svg")))

    def test_google_benchmark(self):
        root = self.run_script("google_benchmark_chart.py", {"context": {"num_cpus": 2}, "benchmarks": [
            {"name": "step/k:16/threads:1", "real_time": 2000.0, "time_unit": "us"},
            {"name": "step/k:16/threads:0", "real_time": 1.0, "time_unit": "ms"},
            {"name": "step/k:16/threads:0_mean", "run_type": "aggregate", "real_time": 1.0, "time_unit": "ms"}]})
        self.assertEqual(len(bars(root)), 3)  # two times, one speed-up; aggregates left out
        self.assertIn("2.000", texts(root))
        self.assertIn("2.00x", texts(root))
        self.assertNotIn("MiB", texts(root))  # no memory panel without the counter

    def test_google_benchmark_memory(self):
        root = self.run_script("google_benchmark_chart.py", {"context": {"num_cpus": 2}, "benchmarks": [
            {"name": "step/k:16/threads:1", "real_time": 2.0, "time_unit": "ms", "MiB_touched": 12.25},
            {"name": "seeding/16", "real_time": 3.0, "time_unit": "ms", "MiB_touched": 3.5}]})
        self.assertEqual(len(bars(root)), 2 + 2)  # two times, two memory bars
        self.assertIn("12.2", texts(root))
        self.assertTrue(any("MiB" in t for t in texts(root)))

    def test_gpu_bench(self):
        rows = [{"image": "/x/photo-1920x1080.rgba", "k": k, "stage": stage, "cpu_ms": 10.0, "gpu_ms": 2.0}
                for k in (16, 64) for stage in ("whole", "seeding", "clustering", "step_all")]
        rows += [{"image": "/x/photo-1920x1080.rgba", "k": 0, "stage": "histogram", "cpu_ms": 8.0, "gpu_ms": 1.0},
                 {"image": "/x/photo-1920x1080.rgba", "k": 0, "stage": "pcie_up", "cpu_ms": 0.0, "gpu_ms": 0.5}]
        root = self.run_script("gpu_bench_chart.py", {"gpu": "G", "cpu": "16 threads", "seed": 1, "all_match": True,
                                                       "rows": rows})
        # Two K, five stages each (the histogram's K=0 row in both), two "whole" times each, one transfer.
        self.assertEqual(len(bars(root)), 2 * 5 + 2 * 2 + 1)
        self.assertIn("8.0x", texts(root))
        self.assertIn("photo-1920x1080 K=64", texts(root))
        # Runs since 2026-11-29 add the whole's memory: three bars (CPU host, CUDA host, device) per K.
        for r in rows:
            if r["stage"] == "whole":
                r.update(cpu_mib=81.5, gpu_host_mib=40.25, gpu_device_mib=123.0)
        root = self.run_script("gpu_bench_chart.py", {"gpu": "G", "cpu": "16 threads", "seed": 1, "all_match": True,
                                                       "rows": rows})
        self.assertEqual(len(bars(root)), 2 * 5 + 2 * 2 + 1 + 2 * 3)
        self.assertIn("123.0", texts(root))

    def test_peers_graphics(self):
        import peers_report  # bench/: imports bar_chart
        row = lambda image, k, tool, seconds, mse: {"image": image, "k": k, "tool": tool, "status": "ok",
                                                    "seconds": seconds, "mse": mse, "megapixels": 0.01}
        rows = [row("icon.png", 16, "kmq", 0.03, 2.0), row("icon.png", 16, "pngquant", 0.015, 4.0),
                row("icon.png", 16, "kmq baseline", 0.06, 2.0),
                row("flat.png", 256, "kmq", 0.02, 0.0), row("flat.png", 256, "pngquant", 0.02, 0.0),
                {"image": "big.png", "k": 16, "tool": "kmq", "status": "timed out (> 20 s)", "megapixels": 1.0}]
        root = parse(peers_report.graphics_svg(rows, "test machine"))
        shown = texts(root)
        self.assertIn("2.00x", shown)  # kmq / pngquant time
        self.assertIn("0.50x", shown)  # their MSE, and after / before
        self.assertIn("icon.png K=16", shown)
        # Three panels of three rows; a ratio with nothing (or 0) to divide by is a dash, not a bar.
        self.assertEqual(len(bars(root)), 2 + 1 + 1)
        self.assertGreaterEqual(shown.count("–"), 4)


class FromTable(unittest.TestCase):
    TABLE = """# PNG decoding

Machine: AMD EPYC, 2 hardware threads, no GPU; kmq source at abc1234; 2026-11-29.

| file | pixels | libpng ms | fast ms | fast / libpng |
|---|---|---|---|---|
| a.png | 10x10 | 4.9 | 2.0 | 0.41x |
| b.png | 20x20 | 1,028.1 | 15.5 | – |

Text after the table.
"""

    def test_numbers_in_cells(self):
        self.assertEqual(bar_chart.number("0.41x"), 0.41)
        self.assertEqual(bar_chart.number("1,234,567"), 1234567)
        self.assertEqual(bar_chart.number("+0.84 %"), 0.84)
        self.assertEqual(bar_chart.number("12.3 (456)"), 12.3)
        self.assertIsNone(bar_chart.number("–"))

    def test_a_chart_from_a_table(self):
        with tempfile.TemporaryDirectory() as d:
            md, svg = os.path.join(d, "t.md"), os.path.join(d, "t.svg")
            with open(md, "w") as f:
                f.write(self.TABLE)
            bar_chart.main([md, svg, "--label", "file,pixels", "--value", "libpng ms,fast ms"])
            root = parse(read(svg))
            all_text = texts(root)
            self.assertIn("PNG decoding", all_text)
            self.assertIn("a.png pixels=10x10", all_text)
            self.assertIn("1028.10", all_text)
            self.assertTrue(any(t.startswith("Machine: AMD EPYC") for t in all_text))
            self.assertEqual(len(bars(root)), 4)
            bar_chart.main([md, svg, "--label", "file", "--value", "fast / libpng", "--reference", "1"])
            root = parse(read(svg))
            self.assertEqual(len(bars(root)), 1)  # b.png's "–" is not a number
            bar_chart.main([md, svg, "--label", "file", "--value", "fast / libpng", "--also", "libpng ms,fast ms",
                            "--also", "pixels"])
            root = parse(read(svg))
            self.assertEqual(len(bars(root)), 1 + 4 + 2)  # three panels
            self.assertIn("libpng ms, fast ms", texts(root))
            with self.assertRaises(SystemExit):
                bar_chart.main([md, svg, "--label", "file", "--value", "no such column"])
            with open(md, "w") as f:
                f.write(self.TABLE.replace("libpng ms", "libpng, ms"))  # a column name with a comma of its own
            bar_chart.main([md, svg, "--label", "file", "--value", "libpng, ms,fast ms"])
            self.assertIn("libpng, ms", texts(parse(read(svg))))
            self.assertEqual(len(bars(parse(read(svg)))), 4)


if __name__ == "__main__":
    unittest.main()
