#include "png_memory_writer.hpp"

#include <cstdio>
#include <new>

namespace kmq::io::detail {
namespace {

void on_error(png_structp png, png_const_charp message) {
  auto* context = static_cast<write_context*>(png_get_error_ptr(png));
  std::snprintf(context->error, sizeof context->error, "%s", message != nullptr ? message : "unknown error");
  png_longjmp(png, 1);
}

// Warnings concern only inputs we validated already; nothing for a user to act on.
void on_warning(png_structp, png_const_charp) {}

void on_write(png_structp png, png_bytep data, png_size_t length) {
  auto* context = static_cast<write_context*>(png_get_io_ptr(png));
  bool grown = true;
  try {
    context->out->insert(context->out->end(), data, data + length);
  } catch (const std::bad_alloc&) {
    grown = false;
  }
  // Out of the catch block first: a longjmp must not leave a live exception behind.
  if (!grown) png_error(png, "out of memory");
}

void on_flush(png_structp) {}

}  // namespace

png_writer::png_writer(write_context* context)
    : png_(png_create_write_struct(PNG_LIBPNG_VER_STRING, context, on_error, on_warning)) {
  if (png_ == nullptr) throw std::bad_alloc();
  info_ = png_create_info_struct(png_);
  if (info_ == nullptr) {
    png_destroy_write_struct(&png_, nullptr);
    throw std::bad_alloc();
  }
  png_set_write_fn(png_, context, on_write, on_flush);
}

png_writer::~png_writer() { png_destroy_write_struct(&png_, &info_); }

}  // namespace kmq::io::detail
