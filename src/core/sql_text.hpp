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

// Text for a "-- ..." comment line: line breaks and other control characters become spaces,
// so nothing after them can start a line of its own (which psql would read as SQL or as a
// meta-command).
std::string sql_comment_text(std::string_view text);

}  // namespace pfm::core
