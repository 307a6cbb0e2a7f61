"""The machine a benchmark ran on, for the tables the Python benchmarks write
(machine_info.hpp is the C++ benchmarks' counterpart)."""
import platform


def cpu_name():
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"
