# cmake -DIN=assets/i18n/zh.json -DOUT=build/i18n_catalogue.cpp -P EmbedCatalogue.cmake
# The catalogue inside the binary, so a translation never depends on where the
# program runs from.
file(READ "${IN}" body)
file(WRITE "${OUT}.tmp"
  "// Generated from assets/i18n/zh.json by cmake/EmbedCatalogue.cmake: do not edit.\n"
  "namespace copyscope {\n"
  "extern const char* const kCatalogueZhJson;\n"
  "const char* const kCatalogueZhJson = R\"copyscope_i18n(${body})copyscope_i18n\";\n"
  "}\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
