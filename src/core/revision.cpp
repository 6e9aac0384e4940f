// Identifier rules shared by revision ids, branch labels and target text.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <ostream>
#include <stdexcept>

#include "core/revision.hpp"

namespace pfm::core {

namespace {

// Lower-case hex digits -> 0..15, anything else (upper case too: such a text is kept as it
// is) -> 16.
struct HexDigits {
	unsigned char value[256];
	constexpr HexDigits() : value()
	{
		for (int c = 0; c < 256; c++)
			value[c] = c >= '0' && c <= '9' ? static_cast<unsigned char>(c - '0')
			           : c >= 'a' && c <= 'f' ? static_cast<unsigned char>(c - 'a' + 10)
			                                  : 16;
	}
};
constexpr HexDigits hex_digits;

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

void
SmallText::assign(std::string_view text)
{
	set_empty();
	if (text.size() <= kInline) {
		std::memcpy(raw_, text.data(), text.size());
		raw_[kInline] = static_cast<char>(kInline - text.size());
		return;
	}
	if (text.size() > UINT32_MAX)
		throw std::length_error("text too long");
	char *p = new char[text.size() + 1];
	std::memcpy(p, text.data(), text.size());
	p[text.size()] = '\0';
	auto n = static_cast<std::uint32_t>(text.size());
	std::memcpy(raw_, &p, sizeof p);
	std::memcpy(raw_ + sizeof p, &n, sizeof n);
	raw_[kInline] = kHeap;
}

std::ostream &
operator<<(std::ostream &os, const SmallText &text)
{
	return os << text.view();
}

namespace {

bool
zero_first_half(const unsigned char *bytes)
{
	std::uint64_t half;
	std::memcpy(&half, bytes, sizeof half);
	return half == 0;
}

}  // namespace

bool
Checksum::is_md5() const
{
	return !zero_first_half(bytes_);
}

std::string *
Checksum::text() const
{
	if (is_md5())
		return nullptr;
	std::string *p;
	std::memcpy(&p, bytes_ + 8, sizeof p);
	return p;
}

void
Checksum::set_text(std::string *text)
{
	std::fill(std::begin(bytes_), std::end(bytes_), 0);
	std::memcpy(bytes_ + 8, &text, sizeof text);
}

Checksum::Checksum(std::string_view text)
{
	if (text.empty())
		return;
	if (text.size() == 2 * sizeof bytes_) {
		unsigned bad = 0;
		for (std::size_t k = 0; k < sizeof bytes_; k++) {
			unsigned hi = hex_digits.value[static_cast<unsigned char>(text[2 * k])];
			unsigned lo = hex_digits.value[static_cast<unsigned char>(text[2 * k + 1])];
			bad |= (hi | lo) & 16;
			bytes_[k] = static_cast<unsigned char>((hi << 4) | (lo & 15));
		}
		if (!bad && is_md5())
			return;
	}
	set_text(new std::string(text));
}

Checksum::Checksum(const Checksum &other)
{
	if (other.is_md5())
		std::copy(std::begin(other.bytes_), std::end(other.bytes_), bytes_);
	else if (std::string *t = other.text())
		set_text(new std::string(*t));
}

Checksum::Checksum(Checksum &&other) noexcept
{
	std::copy(std::begin(other.bytes_), std::end(other.bytes_), bytes_);
	std::fill(std::begin(other.bytes_), std::end(other.bytes_), 0);
}

Checksum &
Checksum::operator=(const Checksum &other)
{
	if (this != &other)
		*this = Checksum(other);
	return *this;
}

Checksum &
Checksum::operator=(Checksum &&other) noexcept
{
	if (this != &other) {
		delete text();
		std::copy(std::begin(other.bytes_), std::end(other.bytes_), bytes_);
		std::fill(std::begin(other.bytes_), std::end(other.bytes_), 0);
	}
	return *this;
}

std::string_view
Checksum::md5_bytes() const
{
	return is_md5() ? std::string_view(reinterpret_cast<const char *>(bytes_), sizeof bytes_) : std::string_view();
}

Checksum
Checksum::of_md5_bytes(std::string_view bytes)
{
	Checksum c;
	if (bytes.size() == sizeof c.bytes_ && !zero_first_half(reinterpret_cast<const unsigned char *>(bytes.data())))
		std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char *>(c.bytes_));
	return c;
}

std::string
Checksum::str() const
{
	if (std::string *t = text())
		return *t;
	if (!is_md5())
		return std::string();
	static const char digits[] = "0123456789abcdef";
	std::string out(2 * sizeof bytes_, '0');
	for (std::size_t k = 0; k < sizeof bytes_; k++) {
		out[2 * k] = digits[bytes_[k] >> 4];
		out[2 * k + 1] = digits[bytes_[k] & 15];
	}
	return out;
}

bool
Checksum::operator==(const Checksum &other) const
{
	// The same bytes: the same md5, both empty, or the same text object.
	if (std::memcmp(bytes_, other.bytes_, sizeof bytes_) == 0)
		return true;
	std::string *a = text(), *b = other.text();
	return a && b && *a == *b;
}

namespace {

std::uint32_t
u32_at(const char *p)
{
	std::uint32_t v;
	std::memcpy(&v, p, sizeof v);
	return v;
}

void
put_u32(char *p, std::size_t v)
{
	auto w = static_cast<std::uint32_t>(v);
	std::memcpy(p, &w, sizeof w);
}

}  // namespace

IdList::IdList(const std::vector<std::string> &items)
{
	if (items.empty())
		return;
	std::size_t total = 4;
	for (const std::string &item : items)
		total += 4 + item.size();
	data_ = new char[total];
	put_u32(data_, items.size());
	char *at = data_ + 4;
	for (const std::string &item : items) {
		put_u32(at, item.size());
		std::memcpy(at + 4, item.data(), item.size());
		at += 4 + item.size();
	}
}

std::size_t
IdList::bytes() const
{
	if (!data_)
		return 0;
	const char *at = data_ + 4;
	for (std::uint32_t k = 0, n = u32_at(data_); k < n; k++)
		at += 4 + u32_at(at);
	return static_cast<std::size_t>(at - data_);
}

IdList::IdList(const IdList &other)
{
	if (!other.data_)
		return;
	std::size_t n = other.bytes();
	data_ = new char[n];
	std::memcpy(data_, other.data_, n);
}

IdList &
IdList::operator=(const IdList &other)
{
	if (this != &other)
		*this = IdList(other);
	return *this;
}

IdList &
IdList::operator=(IdList &&other) noexcept
{
	if (this != &other) {
		delete[] data_;
		data_ = other.data_;
		other.data_ = nullptr;
	}
	return *this;
}

std::size_t
IdList::size() const
{
	return data_ ? u32_at(data_) : 0;
}

std::string_view
IdList::operator[](std::size_t k) const
{
	auto it = begin();
	for (std::size_t i = 0; i < k; i++)
		++it;
	return *it;
}

void
IdList::push_back(std::string_view item)
{
	std::size_t old = bytes();
	std::size_t total = (old ? old : 4) + 4 + item.size();
	char *grown = new char[total];
	if (old)
		std::memcpy(grown, data_, old);
	put_u32(grown, size() + 1);
	char *at = grown + (old ? old : 4);
	put_u32(at, item.size());
	std::memcpy(at + 4, item.data(), item.size());
	delete[] data_;
	data_ = grown;
}

std::vector<std::string>
IdList::vec() const
{
	std::vector<std::string> out;
	out.reserve(size());
	for (std::string_view item : *this)
		out.emplace_back(item);
	return out;
}

bool
IdList::operator==(const IdList &other) const
{
	std::size_t n = bytes();
	return n == other.bytes() && (n == 0 || std::memcmp(data_, other.data_, n) == 0);
}

std::string_view
IdList::const_iterator::operator*() const
{
	return std::string_view(at_ + 4, u32_at(at_));
}

IdList::const_iterator &
IdList::const_iterator::operator++()
{
	at_ += 4 + u32_at(at_);
	return *this;
}

IdList::const_iterator
IdList::begin() const
{
	return const_iterator(data_ ? data_ + 4 : nullptr);
}

IdList::const_iterator
IdList::end() const
{
	return const_iterator(data_ ? data_ + bytes() : nullptr);
}

}  // namespace pfm::core
