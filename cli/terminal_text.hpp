// Text for a terminal: a file may be named with control characters (an
// escape sequence that moves the cursor, retitles the window or hides what
// follows), and kmq prints names it did not choose. Such bytes are shown as
// \xNN, as ls and GNU tools quote them; UTF-8 letters pass unchanged.
#pragma once
#include <string>

namespace kmq::cli {

// text with every byte below 0x20 and 0x7f written as \xNN (a backslash as
// itself: the form is only a view, never read back).
std::string terminal_text(const std::string& text);

}  // namespace kmq::cli
