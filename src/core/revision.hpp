// Revision value type and identifier rules. Pure C++: no PostgreSQL header may
// be included anywhere under src/core (the CMake target has no server include path).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pfm::core {

// A revision's text (its id, its message): 16 bytes, the text itself when it has at most 15
// bytes (every Alembic id; short messages), else one allocation -- where a std::string costs
// 32. At 100 000 revisions that is most of what separates the cached graph from its 30 MB
// budget. It reads as its text wherever one is expected: a std::string_view, a std::string,
// compared and concatenated with text. Like a short std::string, its characters live inside
// the object: a view of it lasts only while the object stays where it is. (The builtins, not
// <cstring>: server files include this header after postgres.h.)
class SmallText {
public:
	SmallText() noexcept { set_empty(); }
	SmallText(std::string_view text) { assign(text); }  // implicit: read and written as text
	SmallText(const std::string &text) : SmallText(std::string_view(text)) {}
	SmallText(const char *text) : SmallText(std::string_view(text)) {}
	SmallText(const SmallText &other) : SmallText(other.view()) {}
	SmallText(SmallText &&other) noexcept
	{
		__builtin_memcpy(raw_, other.raw_, sizeof raw_);
		other.set_empty();
	}
	SmallText &operator=(const SmallText &other)
	{
		if (this != &other)
			*this = SmallText(other);
		return *this;
	}
	SmallText &operator=(SmallText &&other) noexcept
	{
		if (this != &other) {
			release();
			__builtin_memcpy(raw_, other.raw_, sizeof raw_);
			other.set_empty();
		}
		return *this;
	}
	~SmallText() { release(); }

	std::size_t size() const
	{
		if (on_heap()) {
			std::uint32_t n;
			__builtin_memcpy(&n, raw_ + sizeof(char *), sizeof n);
			return n;
		}
		return kInline - static_cast<unsigned char>(raw_[kInline]);
	}
	bool empty() const { return size() == 0; }
	const char *data() const { return on_heap() ? heap() : raw_; }
	const char *c_str() const { return data(); }  // always terminated
	std::string_view view() const { return std::string_view(data(), size()); }
	operator std::string_view() const { return view(); }
	std::string str() const { return std::string(view()); }
	operator std::string() const { return str(); }
	char operator[](std::size_t k) const { return data()[k]; }
	std::string_view substr(std::size_t pos, std::size_t n = std::string_view::npos) const
	{
		return view().substr(pos, n);
	}
	int compare(std::string_view other) const { return view().compare(other); }

	friend bool operator==(const SmallText &a, const SmallText &b) { return a.view() == b.view(); }
	friend bool operator==(const SmallText &a, std::string_view b) { return a.view() == b; }
	friend bool operator==(std::string_view a, const SmallText &b) { return a == b.view(); }
	friend bool operator==(const SmallText &a, const std::string &b) { return a.view() == b; }
	friend bool operator==(const std::string &a, const SmallText &b) { return a == b.view(); }
	friend bool operator==(const SmallText &a, const char *b) { return a.view() == b; }
	friend bool operator!=(const SmallText &a, const SmallText &b) { return !(a == b); }
	friend bool operator!=(const SmallText &a, std::string_view b) { return !(a == b); }
	friend bool operator!=(std::string_view a, const SmallText &b) { return !(a == b); }
	friend bool operator!=(const SmallText &a, const std::string &b) { return !(a == b); }
	friend bool operator!=(const std::string &a, const SmallText &b) { return !(a == b); }
	friend bool operator!=(const SmallText &a, const char *b) { return !(a == b); }
	friend bool operator<(const SmallText &a, const SmallText &b) { return a.view() < b.view(); }
	friend std::string operator+(const std::string &a, const SmallText &b) { return a + std::string(b.view()); }
	friend std::string operator+(std::string &&a, const SmallText &b) { return std::move(a.append(b.view())); }
	friend std::string operator+(const char *a, const SmallText &b) { return std::string(a).append(b.view()); }
	friend std::string operator+(const SmallText &a, const std::string &b) { return a.str() + b; }
	friend std::string operator+(const SmallText &a, const char *b) { return a.str() + b; }
	friend std::ostream &operator<<(std::ostream &os, const SmallText &text);

private:
	// raw_[15] = 15 - length for a text kept here (its terminator when the length is 15),
	// kHeap for one kept in an allocation: raw_[0..8) its pointer, raw_[8..12) its length.
	static constexpr std::size_t kInline = 15;
	static constexpr char kHeap = static_cast<char>(0xff);
	char raw_[16];

	bool on_heap() const { return raw_[kInline] == kHeap; }
	const char *heap() const
	{
		const char *p;
		__builtin_memcpy(&p, raw_, sizeof p);
		return p;
	}
	void set_empty() noexcept
	{
		__builtin_memset(raw_, 0, sizeof raw_);
		raw_[kInline] = static_cast<char>(kInline);
	}
	void release() noexcept
	{
		if (on_heap())
			delete[] heap();
	}
	void assign(std::string_view text);
};

// A checksum as the catalog holds it. The server's (an md5: 32 lower-case hex digits) is kept
// as its 16 bytes, anything else (a hand-edited row, a test's literal) as its text, so a graph
// of 100 000 revisions holds no string per checksum. It reads as its text wherever one is
// expected: converts to std::string, compares with text, concatenates.
class Checksum {
public:
	Checksum() = default;
	Checksum(std::string_view text);  // implicit: a checksum is read and written as text
	Checksum(const std::string &text) : Checksum(std::string_view(text)) {}
	Checksum(const char *text) : Checksum(std::string_view(text)) {}
	Checksum(const Checksum &other);
	Checksum(Checksum &&other) noexcept;
	Checksum &operator=(const Checksum &other);
	Checksum &operator=(Checksum &&other) noexcept;
	~Checksum() { delete text(); }

	std::string str() const;
	operator std::string() const { return str(); }
	// The 16 bytes of an md5 checksum (empty for any other: a text or no checksum), and
	// back: a compact form for the catalog image (catalog_image.hpp). An md5 whose first 8
	// bytes are zero is kept as a text (see below), so it has no such form.
	std::string_view md5_bytes() const;
	static Checksum of_md5_bytes(std::string_view bytes);  // 16 bytes, the first 8 not all zero
	bool empty() const { return !is_md5() && !text(); }
	bool operator==(const Checksum &other) const;
	bool operator!=(const Checksum &other) const { return !(*this == other); }
	// (Hidden friends: only found when one operand is a Checksum.)
	friend bool operator==(const Checksum &a, const std::string &b) { return a == Checksum(b); }
	friend bool operator==(const std::string &a, const Checksum &b) { return b == Checksum(a); }
	friend bool operator==(const Checksum &a, const char *b) { return a == Checksum(b); }
	friend bool operator!=(const Checksum &a, const std::string &b) { return !(a == b); }
	friend bool operator!=(const std::string &a, const Checksum &b) { return !(b == a); }
	friend bool operator!=(const Checksum &a, const char *b) { return !(a == b); }
	friend std::string operator+(const std::string &a, const Checksum &b) { return a + b.str(); }
	friend std::string operator+(std::string &&a, const Checksum &b) { return std::move(a) + b.str(); }
	friend std::string operator+(const char *a, const Checksum &b) { return a + b.str(); }
	friend std::string operator+(const Checksum &a, const std::string &b) { return a.str() + b; }
	friend std::string operator+(const Checksum &a, const char *b) { return a.str() + b; }

private:
	// 16 bytes: an md5 when its first 8 bytes are not all zero; else bytes 8..16 hold the
	// owned text (nullptr: no checksum). The one md5 in 2^64 with a zero first half is kept
	// as its text.
	unsigned char bytes_[16] = {};
	bool is_md5() const;
	std::string *text() const;
	void set_text(std::string *text);
};

// A revision's short list of ids (parents, dependencies, branch labels): one allocation for
// the whole list, 8 bytes when it is empty (most dependency and label lists are), where a
// std::vector<std::string> costs 24 bytes plus a string per item. Items read as
// std::string_view; the list converts to a std::vector<std::string> where one is expected.
class IdList {
public:
	IdList() = default;
	IdList(std::initializer_list<std::string> items) : IdList(std::vector<std::string>(items)) {}
	IdList(const std::vector<std::string> &items);  // implicit: lists are built as vectors
	IdList(const IdList &other);
	IdList(IdList &&other) noexcept : data_(other.data_) { other.data_ = nullptr; }
	IdList &operator=(const IdList &other);
	IdList &operator=(IdList &&other) noexcept;
	~IdList() { delete[] data_; }

	std::size_t size() const;
	bool empty() const { return data_ == nullptr; }
	std::string_view operator[](std::size_t k) const;
	std::string_view front() const { return (*this)[0]; }
	void push_back(std::string_view item);
	std::vector<std::string> vec() const;
	operator std::vector<std::string>() const { return vec(); }
	bool operator==(const IdList &other) const;
	bool operator!=(const IdList &other) const { return !(*this == other); }

	class const_iterator {
	public:
		using iterator_category = std::forward_iterator_tag;
		using value_type = std::string_view;
		using difference_type = std::ptrdiff_t;
		using pointer = const std::string_view *;
		using reference = std::string_view;
		const_iterator() = default;
		std::string_view operator*() const;
		const_iterator &operator++();
		const_iterator operator++(int)
		{
			const_iterator before = *this;
			++*this;
			return before;
		}
		bool operator==(const const_iterator &o) const { return at_ == o.at_; }
		bool operator!=(const const_iterator &o) const { return at_ != o.at_; }

	private:
		friend class IdList;
		explicit const_iterator(const char *at) : at_(at) {}
		const char *at_ = nullptr;  // an item's length prefix
	};
	const_iterator begin() const;
	const_iterator end() const;

private:
	// [u32 count][u32 length, bytes]... ; nullptr = empty
	char *data_ = nullptr;
	std::size_t bytes() const;
};

// One registered revision, as the catalog holds it.
struct Revision {
	SmallText id;
	IdList parents;                          // down_revision(s): empty = root, 2+ = merge point
	IdList depends_on;                       // cross-branch dependencies
	IdList branch_labels;
	SmallText message;
	Checksum checksum;                       // checksum of the registered bodies
	bool has_downgrade = true;               // false = irreversible
	bool transactional = true;               // false: each statement runs at top level, in its own transaction
};

// A revision recorded as applied, with the checksum of its bodies as applied.
struct AppliedRevision {
	SmallText id;
	Checksum checksum;
};

enum class Direction { upgrade, downgrade };

inline const char *
direction_name(Direction d)
{
	return d == Direction::upgrade ? "upgrade" : "downgrade";
}

// ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ -- revision ids and branch labels alike.
bool is_valid_identifier(std::string_view text);

// Splits "a1,b2" / "a1, b2" into ids; empty items are kept as "" so callers can reject them.
std::vector<std::string> split_revision_list(std::string_view text);

}  // namespace pfm::core
