// Writing SQL text for scripts a person reviews and psql runs: literals that survive any
// content (quotes, dollar signs, backslashes, newlines). Pure C++; unit-tested.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pfm::core {

// 'it''s' -- a standard-conforming string literal (backslashes are not special).
std::string sql_literal(std::string_view text);

// $pfm$...$pfm$ with a tag that does not occur in the text.
std::string dollar_quoted(std::string_view text);

// ARRAY['a', 'b']::text[], or NULL for an empty list.
std::string sql_text_array(const std::vector<std::string> &items);

}  // namespace pfm::core
