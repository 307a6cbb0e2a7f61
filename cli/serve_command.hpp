// kmq serve: the web page lives in its own executable, kmq-serve, beside kmq,
// so that the HTTP and zip libraries never load when kmq starts.
#pragma once

namespace kmq::cli {

// Replaces this process with kmq-serve (found next to /proc/self/exe) and
// the arguments after "serve". Returns only on failure: exit_unavailable,
// with the reason on stderr.
int exec_serve(int argc, char** argv);

}  // namespace kmq::cli
