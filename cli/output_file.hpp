// Writing an output without ever harming an input or a file the user did not
// ask us to replace: checks first, then a temporary file in the same
// directory, flushed, then an atomic rename.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace kmq::cli {

// Before any work: exit_usage when output names the same file as input (also
// through links or another spelling); exit_cant_create when output exists and
// force is false, or its directory is missing or not writable.
void check_output_path(const std::string& input, const std::string& output, bool force);

// Writes bytes to "<dir>/.<name>.XXXXXX", fsyncs, renames onto output. On any
// failure the temporary file is removed and exit_cant_create is thrown.
void write_file_atomically(const std::string& output, const std::vector<std::uint8_t>& bytes, bool force);

}  // namespace kmq::cli
