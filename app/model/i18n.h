// Every user-visible sentence in English and Simplified Chinese from one
// catalogue (assets/i18n/zh.json, embedded at build time): gettext style, the
// English text is the key. No ImGui here: the model, the exporters and the
// window all translate through this.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace copyscope {

enum class Lang { En, Zh };
Lang lang_from(std::string_view id);  // "zh" -> Zh, anything else -> En
const char* lang_id(Lang l);

// Marks a literal for the catalogue without translating it here (a table of
// labels translated where it is drawn): the i18n test collects N_("...") too.
#define N_(s) s

// The translation of `en`, or `en` itself (English, or not in the catalogue).
// The pointer stays valid for the whole program.
const char* tr(Lang l, const char* en);
const std::string& tr(Lang l, const std::string& en);

// printf-like, every argument already a string: %s and %d take the next
// argument, %N$s the Nth (a translation may reorder), %% is a percent sign.
// Missing arguments print as nothing.
std::string format_args(std::string_view fmt, const std::vector<std::string>& args);

// A sentence in both languages: what the model says, rendered once in each.
struct Text {
  std::string en, zh;
  Text() = default;
  Text(std::string e, std::string z) : en(std::move(e)), zh(std::move(z)) {}
  // A catalogue msgid (mark it N_("...")): both renderings. A std::string does
  // not convert, so that no English sentence slips through untranslated.
  Text(const char* msgid);  // NOLINT(google-explicit-constructor)
  const std::string& in(const std::string& lang) const { return lang == "zh" && !zh.empty() ? zh : en; }
  const std::string& in(Lang l) const { return l == Lang::Zh && !zh.empty() ? zh : en; }
  bool empty() const { return en.empty(); }
};
Text operator+(const Text& a, const Text& b);
// The same text in both languages (a name, a number, a file).
inline Text same(std::string s) { return Text(s, s); }
// `msgid` translated (both renderings), for words used as arguments.
Text both(const char* msgid);
Text join(const std::vector<Text>& parts, const char* sep_en, const char* sep_zh);

namespace i18n_detail {
inline Text arg(const Text& t) { return t; }
inline Text arg(const std::string& s) { return same(s); }
inline Text arg(const char* s) { return same(s); }
template <class N, class = std::enable_if_t<std::is_arithmetic_v<N>>>
Text arg(N n) {
  return same(std::to_string(n));
}
Text say(const char* fmt, std::initializer_list<Text> args);
}  // namespace i18n_detail

// A catalogue format string rendered in both languages: arguments are Text
// (translated per language), strings or numbers (the same in both).
template <class... A>
Text say(const char* fmt, const A&... args) {
  return i18n_detail::say(fmt, {i18n_detail::arg(args)...});
}
// One language only.
template <class... A>
std::string trf(Lang l, const char* fmt, const A&... args) {
  return say(fmt, args...).in(l);
}

// The catalogue as loaded: msgid -> zh (for tests and tools).
const std::vector<std::pair<std::string, std::string>>& catalogue_entries();

}  // namespace copyscope
