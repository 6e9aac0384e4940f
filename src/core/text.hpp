// Small text helpers shared by the core and the glue (the one join and the one quote).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pfm::core {

// "a, b, c" (or with another separator).
inline std::string
join(const std::vector<std::string> &items, const char *sep = ", ")
{
	std::string out;
	for (std::size_t i = 0; i < items.size(); ++i) {
		if (i)
			out += sep;
		out += items[i];
	}
	return out;
}

// 'x': how errors quote a revision, label or target.
inline std::string
quoted(std::string_view s)
{
	std::string out;
	out.reserve(s.size() + 2);
	out += '\'';
	out += s;
	out += '\'';
	return out;
}

}  // namespace pfm::core
