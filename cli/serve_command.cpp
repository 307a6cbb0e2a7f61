#include "serve_command.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "exit_codes.hpp"

namespace kmq::cli {

int exec_serve(int argc, char** argv) {
  std::string self(4096, '\0');
  const ssize_t length = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (length <= 0) {
    std::cerr << "kmq: serve: cannot find kmq's own path (/proc/self/exe): " << std::strerror(errno) << '\n';
    return exit_unavailable;
  }
  self.resize(static_cast<std::size_t>(length));
  const std::string server = self.substr(0, self.find_last_of('/') + 1) + "kmq-serve";
  std::vector<char*> args{const_cast<char*>("kmq-serve")};
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);  // after "kmq serve"
  args.push_back(nullptr);
  ::execv(server.c_str(), args.data());
  std::cerr << "kmq: serve: cannot run " << server << ": " << std::strerror(errno)
            << " (kmq-serve is built beside kmq by 'cmake --build BUILD --target kmq-serve' or a build of every "
               "target, when libcpp-httplib-dev and libzip-dev are installed and KMQ_BUILD_SERVE=ON)\n";
  return exit_unavailable;
}

}  // namespace kmq::cli
