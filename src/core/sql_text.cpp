#include "core/sql_text.hpp"

namespace pfm::core {

std::string
sql_literal(std::string_view text)
{
	std::string out;
	out.reserve(text.size() + 2);
	out += '\'';
	for (char c : text) {
		if (c == '\'')
			out += '\'';
		out += c;
	}
	out += '\'';
	return out;
}

std::string
dollar_quoted(std::string_view text)
{
	// The tag must not occur in the text, nor be completed by the text's end ("x$pfm" +
	// "$pfm$" would close early): its first occurrence in text + tag must be the closing one.
	std::string tag = "$pfm$";
	for (int n = 1;; n++) {
		std::string closed = std::string(text) + tag;
		if (closed.find(tag) == text.size())
			break;
		tag = "$pfm" + std::to_string(n) + "$";
	}
	std::string out;
	out.reserve(text.size() + 2 * tag.size());
	out += tag;
	out += text;
	out += tag;
	return out;
}

std::string
sql_text_array(const std::vector<std::string> &items)
{
	if (items.empty())
		return "NULL";
	std::string out = "ARRAY[";
	for (std::size_t i = 0; i < items.size(); i++)
		out += (i ? ", " : "") + sql_literal(items[i]);
	return out + "]::text[]";
}

std::string
sql_comment_text(std::string_view text)
{
	std::string out(text);
	for (char &c : out)
		if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
			c = ' ';
	return out;
}

}  // namespace pfm::core
