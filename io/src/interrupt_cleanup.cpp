// install_interrupt_cleanup() and the registry of named temporary files it
// removes (see output_file.hpp).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include "interrupt_registry.hpp"
#include "kmq/io/output_file.hpp"

namespace kmq::io {
namespace {

// Every name a write gives a temporary file is registered here for as long as
// it exists, so that a signal handler can unlink it with nothing but atomics
// and unlink(). A slot is free -> filling (its owner copies the path) -> armed
// -> free again by its owner; a handler takes an armed slot (armed -> taken)
// before it reads the path, and only the owner frees a taken slot, after any
// handler is done with it.

constexpr int slot_count = 32;
constexpr std::size_t slot_path_size = 4096;
enum : int { slot_free = 0, slot_filling = 1, slot_armed = 2, slot_taken = 3 };

struct cleanup_slot {
  std::atomic<int> state{slot_free};
  char path[slot_path_size];
};

static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs lock-free atomics");

cleanup_slot slots[slot_count];
std::atomic<int> handlers_running{0};

// The slot's index, or -1 when the path is too long or all slots are in use:
// then a signal cannot remove it (the next write still does).
int register_slot(const std::string& path) {
  if (path.size() >= slot_path_size) return -1;
  for (int i = 0; i < slot_count; ++i) {
    int expected = slot_free;
    if (slots[i].state.compare_exchange_strong(expected, slot_filling, std::memory_order_acquire)) {
      std::memcpy(slots[i].path, path.c_str(), path.size() + 1);
      slots[i].state.store(slot_armed, std::memory_order_release);
      return i;
    }
  }
  return -1;
}

void unregister_slot(int index) {
  if (index < 0) return;
  int expected = slot_armed;
  if (slots[index].state.compare_exchange_strong(expected, slot_free, std::memory_order_acq_rel)) return;
  // A handler took it (the file is gone or going): free it once no handler
  // still reads its path.
  while (handlers_running.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  slots[index].state.store(slot_free, std::memory_order_release);
}

constexpr int interrupt_signals[] = {SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM};

extern "C" void on_interrupt(int signal_number) {
  remove_interrupted_temporaries();
  // Die of the same signal, so the parent sees "killed by signal N". It is
  // blocked while this handler runs and arrives when the handler returns.
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

}  // namespace

namespace detail {

int register_temporary(const std::string& path) { return register_slot(path); }
void unregister_temporary(int index) { unregister_slot(index); }

registration::registration(const std::string& path) : index_(register_slot(path)) {}
registration::~registration() { unregister_slot(index_); }

}  // namespace detail

void install_interrupt_cleanup() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  for (const int s : interrupt_signals) sigaddset(&action.sa_mask, s);
  action.sa_flags = 0;
  for (const int s : interrupt_signals) {
    struct sigaction old {};
    if (::sigaction(s, nullptr, &old) != 0) continue;
    // Ignored (nohup, a background job) or handled by the program: not ours.
    if ((old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL) continue;
    ::sigaction(s, &action, nullptr);
  }
}

void remove_interrupted_temporaries() noexcept {
  handlers_running.fetch_add(1, std::memory_order_acq_rel);
  for (cleanup_slot& slot : slots) {
    int expected = slot_armed;
    if (slot.state.compare_exchange_strong(expected, slot_taken, std::memory_order_acq_rel)) ::unlink(slot.path);
  }
  handlers_running.fetch_sub(1, std::memory_order_acq_rel);
}

}  // namespace kmq::io
