"""One run of a command with its peak memory, for the Python benchmarks, as
GNU time's %M reports it (the process's largest resident set). Not wait4's
maxrss from Python's own child: exec keeps the old address space's high-water
mark, and the child Python spawns shares Python's until exec, so small runs
would show the harness's peak."""
import subprocess
import tempfile


def run_measured(command, stdout=subprocess.PIPE):
    """(exit code, standard output or None, peak resident set in MiB) of one run of command."""
    with tempfile.NamedTemporaryFile(mode="r", suffix=".rss") as rss:
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + list(command), stdout=stdout, text=True)
        peak = rss.read().strip().splitlines()
    if done.returncode in (126, 127):  # GNU time could not run it: a wrong path is no refusal of kmq's
        raise FileNotFoundError(f"cannot run {command[0]} (exit {done.returncode})")
    kib = int(peak[-1]) if peak and peak[-1].isdigit() else 0
    return done.returncode, done.stdout, kib / 1024
