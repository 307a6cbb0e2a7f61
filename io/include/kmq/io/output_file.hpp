// Writing an output without ever harming an input or a file the user did not
// ask us to replace, and without leaving a temporary file behind when killed.
//
// How an output is written (write_file_atomically):
//
//  - The bytes go into an unnamed file in the output's directory
//    (open(O_TMPFILE)), are flushed (fsync), and only then is the file given
//    the output's name with linkat(), which fails rather than replace a file
//    that appeared in the meantime. An unnamed file has no name to leave
//    behind: whatever kills kmq (SIGKILL included), the directory holds the
//    old output or the complete new one, nothing else.
//
//  - Replacing an existing output (--force) takes one named step, since
//    linkat() cannot replace and rename() needs a name: the complete, flushed
//    file is linked as "<dir>/.<name>.kmq-tmp" and renamed onto the output at
//    once. SIGINT, SIGTERM and the like remove that name (see
//    install_interrupt_cleanup); a SIGKILL between the two calls (a few
//    microseconds) may leave it. The next write of the same output removes
//    it, once no living process holds it (the writer keeps a flock() on it).
//    Nothing else is ever removed: only a regular file of exactly that name.
//
//  - Where the file system has no O_TMPFILE (or linkat through /proc/self/fd
//    is not possible), the bytes are written to "<dir>/.<name>.kmq-tmp" from
//    the start, flushed, then linked (no --force) or renamed (--force) onto
//    the output. SIGINT/SIGTERM remove it; a SIGKILL may leave it, complete
//    or partial, and the next write of the same output removes it.
//
// Two processes writing the same output at the same time: where both need the
// temporary name, the second waits (up to 10 s, then error(output_failed))
// while the first holds it; then the later rename wins, as before.
//
// The name is relative to the working directory when output is: a program
// that registers writes for install_interrupt_cleanup must not chdir().
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace kmq::io {

// Before any work: error(invalid_argument) when output names the same file as
// input (also through links or another spelling); error(output_failed) when output exists and
// force is false, or its directory is missing or not writable.
void check_output_path(const std::string& input, const std::string& output, bool force);

// Writes bytes as described above: with the permissions 0666 & ~umask,
// flushed to disk (file and directory) before it carries the output's name.
// Without force an existing output is never replaced, even one that appeared
// after check_output_path ("exists (use --force to replace it)"). On any
// failure nothing new is left in the directory and error(output_failed) is
// thrown. First removes a stale "<dir>/.<name>.kmq-tmp" left by a killed run
// (one that carries kmq's mark; a file of the user's with that name is left
// alone and the write fails, naming it). origin is recorded on the file as
// the extended attribute user.kmq.origin (the input it was made from, as
// origin_of_input() spells it; empty: the mark alone), set before the file
// has its first byte: kmq_output_origin() reads it back,
// so that a directory expanded into inputs leaves out what kmq itself wrote
// there, and a resumed batch knows which outputs it may replace.
void write_file_atomically(const std::string& output, const std::vector<std::uint8_t>& bytes, bool force,
                           const std::string& origin = std::string());

constexpr const char* kmq_origin_attribute = "user.kmq.origin";

// The input a file was written from by kmq, or empty: not kmq's output, or a
// file system without user extended attributes (or a copy that lost them).
std::string kmq_output_origin(const std::string& path);

// How an input is named in user.kmq.origin: a file's absolute path with every
// link resolved, so that two spellings of one file agree and two trees' files
// of one relative name (cam1/DCIM/a.png, cam2/DCIM/a.png) do not; anything
// else (standard input) as given.
std::string origin_of_input(const std::string& input);

// The name of the one temporary file a write of output may give a name to:
// "<dir>/.<name>.kmq-tmp".
std::string temporary_path_for(const std::string& output);

// For a program's main, once, before any output is written (threads
// included): SIGHUP, SIGINT, SIGPIPE, SIGQUIT and SIGTERM, where their
// disposition is still the default, get a handler that removes the named
// temporary files being written at that moment, then kills the process with
// the same signal under the default action (so the exit status still says
// "killed by signal N"). Signals that are ignored (nohup) or already have a
// handler are left alone; such a handler may call remove_interrupted_temporaries()
// itself. Calling it again does nothing.
void install_interrupt_cleanup();

// Unlinks every named temporary file that a write in this process has open
// at this moment. Async-signal-safe (only atomics and unlink()); for signal
// handlers of the program's own.
void remove_interrupted_temporaries() noexcept;

namespace detail {

// For tests only.
//
// named: true makes every write take the named-temporary route, as on a file
// system without O_TMPFILE; false restores the default. The environment
// variable KMQ_TEST_NAMED_TEMPORARY=1 does the same for a whole process.
void use_named_temporary(bool named);

// Called (when set) at the points where a kill matters, with the path of the
// named temporary file when there is one, else "":
//   "created"  the named temporary file exists and is empty (fallback route);
//   "written"  the bytes are written and flushed, no output name yet;
//   "linked"   the complete file carries the temporary name, before rename.
using write_hook = void (*)(const char* stage, const char* temporary);
void set_write_hook(write_hook hook);

}  // namespace detail

}  // namespace kmq::io
