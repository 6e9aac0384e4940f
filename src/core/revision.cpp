// Identifier rules shared by revision ids, branch labels and target text.
#include "core/revision.hpp"

namespace pfm::core {

namespace {

bool
is_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

bool
is_valid_identifier(std::string_view text)
{
	if (text.empty() || text.size() > 64 || !is_alnum(text[0]))
		return false;
	for (char c : text.substr(1))
		if (!is_alnum(c) && c != '_' && c != '.' && c != '-')
			return false;
	return true;
}

std::vector<std::string>
split_revision_list(std::string_view text)
{
	std::vector<std::string> out;
	std::size_t start = 0;
	for (;;) {
		std::size_t comma = text.find(',', start);
		std::string_view item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
		while (!item.empty() && is_blank(item.front()))
			item.remove_prefix(1);
		while (!item.empty() && is_blank(item.back()))
			item.remove_suffix(1);
		out.emplace_back(item);
		if (comma == std::string_view::npos)
			break;
		start = comma + 1;
	}
	return out;
}

}  // namespace pfm::core
