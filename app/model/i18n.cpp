#include "model/i18n.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace copyscope {

extern const char* const kCatalogueZhJson;  // i18n_catalogue.cpp, generated from assets/i18n/zh.json

namespace {

struct Catalogue {
  std::vector<std::pair<std::string, std::string>> entries;
  std::unordered_map<std::string_view, const std::string*> zh;  // keys point into entries
};

const Catalogue& catalogue() {
  static const Catalogue c = [] {
    Catalogue out;
    const nlohmann::json j = nlohmann::json::parse(kCatalogueZhJson, nullptr, false);
    if (!j.is_object()) {
      std::fprintf(stderr, "copyscope: the embedded catalogue (assets/i18n/zh.json) is not a JSON object\n");
      return out;
    }
    out.entries.reserve(j.size());
    for (const auto& [k, v] : j.items())
      if (v.is_string() && !v.get_ref<const std::string&>().empty()) out.entries.emplace_back(k, v.get<std::string>());
    for (const auto& e : out.entries) out.zh.emplace(std::string_view(e.first), &e.second);
    return out;
  }();
  return c;
}

}  // namespace

Lang lang_from(std::string_view id) { return id == "zh" ? Lang::Zh : Lang::En; }
const char* lang_id(Lang l) { return l == Lang::Zh ? "zh" : "en"; }

const char* tr(Lang l, const char* en) {
  if (l == Lang::En || !en) return en;
  const auto& m = catalogue().zh;
  auto it = m.find(std::string_view(en));
  return it == m.end() ? en : it->second->c_str();
}

const std::string& tr(Lang l, const std::string& en) {
  if (l == Lang::En) return en;
  const auto& m = catalogue().zh;
  auto it = m.find(std::string_view(en));
  return it == m.end() ? en : *it->second;
}

std::string format_args(std::string_view fmt, const std::vector<std::string>& args) {
  std::string out;
  out.reserve(fmt.size() + 32);
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%' || i + 1 >= fmt.size()) {
      out += fmt[i];
      continue;
    }
    if (fmt[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    size_t j = i + 1, n = 0;
    while (j < fmt.size() && fmt[j] >= '0' && fmt[j] <= '9') n = n * 10 + static_cast<size_t>(fmt[j++] - '0');
    const bool positional = j < fmt.size() && fmt[j] == '$' && n > 0;
    if (positional)
      ++j;
    else
      j = i + 1;
    if (j < fmt.size() && (fmt[j] == 's' || fmt[j] == 'd')) {
      const size_t index = positional ? n - 1 : next++;
      if (index < args.size()) out += args[index];
      i = j;
    } else {
      out += '%';  // not one of ours: keep it as written
    }
  }
  return out;
}

Text operator+(const Text& a, const Text& b) { return Text(a.en + b.en, a.zh + b.zh); }

Text::Text(const char* msgid) : en(msgid ? msgid : ""), zh(msgid ? tr(Lang::Zh, msgid) : "") {}

Text both(const char* msgid) { return Text(msgid); }

Text join(const std::vector<Text>& parts, const char* sep_en, const char* sep_zh) {
  Text out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) {
      out.en += sep_en;
      out.zh += sep_zh;
    }
    out.en += parts[i].en;
    out.zh += parts[i].zh;
  }
  return out;
}

namespace i18n_detail {
Text say(const char* fmt, std::initializer_list<Text> args) {
  std::vector<std::string> en, zh;
  en.reserve(args.size());
  zh.reserve(args.size());
  for (const Text& a : args) {
    en.push_back(a.en);
    zh.push_back(a.zh.empty() ? a.en : a.zh);
  }
  return Text(format_args(fmt, en), format_args(tr(Lang::Zh, fmt), zh));
}
}  // namespace i18n_detail

const std::vector<std::pair<std::string, std::string>>& catalogue_entries() { return catalogue().entries; }

}  // namespace copyscope
