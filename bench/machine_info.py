"""The machine a benchmark ran on, for the tables the Python benchmarks write
(machine_info.hpp is the C++ benchmarks' counterpart): CPU, GPU (or none) and
the kmq commit measured, each detected rather than typed."""
import os
import platform
import subprocess

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_name():
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def gpu_name():
    """The first NVIDIA GPU nvidia-smi lists, or "no GPU"."""
    try:
        listed = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                                capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "no GPU"
    first = listed.stdout.strip().splitlines()[:1]
    if listed.returncode != 0 or not first:
        return "no GPU"
    name, _, driver = first[0].partition(",")
    return f"{name.strip()} (driver {driver.strip()})" if driver else name.strip()


def kmq_commit():
    """The source tree's commit, with -dirty when a file outside results/ changed: which kmq the table measured
    (for a binary built from this tree)."""
    try:
        head = subprocess.run(["git", "-C", SOURCE_DIR, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=20)
        if head.returncode != 0:
            return "unknown commit"
        # The tables under results/ are not the source: a harness rewriting its own table is not a change.
        dirty = subprocess.run(["git", "-C", SOURCE_DIR, "status", "--porcelain", "--untracked-files=no", "--",
                                ".", ":(exclude)results"],
                               capture_output=True, text=True, timeout=60).stdout.strip()
        return head.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown commit"


def machine_line(extra=""):
    """CPU, hardware threads, GPU or none, what the caller adds (extra), and the kmq source commit
    last: one line for a table's head."""
    return (f"{cpu_name()}, {os.cpu_count()} hardware threads, {gpu_name()}" + (f", {extra}" if extra else "")
            + f"; kmq source at {kmq_commit()}")
