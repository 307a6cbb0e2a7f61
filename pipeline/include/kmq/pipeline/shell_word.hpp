// One word of a command as a POSIX shell takes it back: the command lines kmq
// shows (the report's, the served page's "As: kmq compress ...") can be
// pasted whatever the file is called.
#pragma once
#include <string>

namespace kmq {

// The word itself when it holds only characters no shell treats specially,
// else in single quotes (a quote inside as '\'').
std::string shell_word(const std::string& word);

}  // namespace kmq
