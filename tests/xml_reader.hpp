// A strict little XML reader for tests of hand-written SVG: enough to prove a
// document well-formed and to look at its elements (test_svg_plot.cpp, the
// report's plots; test_bench_bar_chart.cpp, the benchmarks' charts).
#pragma once
#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace kmq::xml_test {

struct element {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::vector<std::unique_ptr<element>> children;
  std::string text;  // character data directly inside, entities decoded

  void find_all(const std::string& wanted, std::vector<const element*>& out) const {
    if (name == wanted) out.push_back(this);
    for (const auto& child : children) child->find_all(wanted, out);
  }
  std::vector<const element*> all(const std::string& wanted) const {
    std::vector<const element*> out;
    find_all(wanted, out);
    return out;
  }
  double number(const std::string& attribute) const { return std::stod(attributes.at(attribute)); }
};

class xml_reader {
 public:
  explicit xml_reader(const std::string& text) : s_(text) {}

  // The root element; throws std::runtime_error saying where the XML is broken.
  std::unique_ptr<element> document() {
    auto root = parse_element();
    skip_space();
    if (at_ != s_.size()) fail("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error(why + " at offset " + std::to_string(at_) + ": ..." + s_.substr(at_, 40));
  }
  void skip_space() {
    while (at_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[at_]))) ++at_;
  }
  std::string name() {
    const std::size_t start = at_;
    while (at_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[at_])) || s_[at_] == '-' || s_[at_] == ':' ||
                               s_[at_] == '_'))
      ++at_;
    if (at_ == start) fail("a name expected");
    return s_.substr(start, at_ - start);
  }
  std::string decoded(const std::string& raw) {
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '<') fail("'<' in character data");
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      const std::size_t end = raw.find(';', i);
      if (end == std::string::npos) fail("an unterminated entity");
      const std::string entity = raw.substr(i + 1, end - i - 1);
      static const std::map<std::string, char> named{{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
      if (named.count(entity)) out += named.at(entity);
      else if (entity.size() > 1 && entity[0] == '#') out += static_cast<char>(std::stoi(entity.substr(1)));
      else fail("an unknown entity &" + entity + ";");
      i = end;
    }
    return out;
  }
  std::unique_ptr<element> parse_element() {
    skip_space();
    if (at_ >= s_.size() || s_[at_] != '<') fail("'<' expected");
    ++at_;
    auto e = std::make_unique<element>();
    e->name = name();
    for (;;) {
      skip_space();
      if (at_ >= s_.size()) fail("end inside a tag");
      if (s_.compare(at_, 2, "/>") == 0) {
        at_ += 2;
        return e;
      }
      if (s_[at_] == '>') {
        ++at_;
        break;
      }
      const std::string attribute = name();
      if (e->attributes.count(attribute)) fail("a repeated attribute " + attribute);
      skip_space();
      if (at_ >= s_.size() || s_[at_] != '=') fail("'=' expected");
      ++at_;
      skip_space();
      if (at_ >= s_.size() || (s_[at_] != '"' && s_[at_] != '\'')) fail("a quoted value expected");
      const char quote = s_[at_++];
      const std::size_t end = s_.find(quote, at_);
      if (end == std::string::npos) fail("an unterminated value");
      e->attributes[attribute] = decoded(s_.substr(at_, end - at_));
      at_ = end + 1;
    }
    for (;;) {
      const std::size_t lt = s_.find('<', at_);
      if (lt == std::string::npos) fail("no closing tag for <" + e->name + ">");
      e->text += decoded(s_.substr(at_, lt - at_));
      at_ = lt;
      if (s_.compare(at_, 2, "</") == 0) {
        at_ += 2;
        if (name() != e->name) fail("a closing tag that does not match <" + e->name + ">");
        skip_space();
        if (at_ >= s_.size() || s_[at_] != '>') fail("'>' expected");
        ++at_;
        return e;
      }
      e->children.push_back(parse_element());
    }
  }

  const std::string& s_;
  std::size_t at_ = 0;
};

// The document's root; a test failure (and an empty element) where it is not well-formed.
inline std::unique_ptr<element> parse(const std::string& svg) {
  try {
    return xml_reader(svg).document();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not well-formed XML: " << e.what();
    return std::make_unique<element>();
  }
}

}  // namespace kmq::xml_test
