"""One run of a command with its peak memory, for the Python benchmarks: the
process's largest resident set from wait4 (what GNU time's %M reports), so
that a table can set kmq's memory beside its time without /usr/bin/time."""
import os
import subprocess


def run_measured(command, stdout=subprocess.PIPE):
    """(exit code, standard output or None, peak resident set in MiB) of one run of command."""
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.DEVNULL, text=True)
    output = None
    if process.stdout is not None:
        output = process.stdout.read()
        process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, output, usage.ru_maxrss / 1024
