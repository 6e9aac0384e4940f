// Revision value type and identifier rules. Pure C++: no PostgreSQL header may
// be included anywhere under src/core (the CMake target has no server include path).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pfm::core {

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
	~Checksum() { delete text_; }

	std::string str() const;
	operator std::string() const { return str(); }
	// The 16 bytes of an md5 checksum (empty for any other: a text or no checksum), and
	// back: a compact form for the catalog image (catalog_image.hpp).
	std::string_view md5_bytes() const;
	static Checksum of_md5_bytes(std::string_view bytes);  // 16 bytes, not all zero
	bool empty() const { return !text_ && !is_md5(); }
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
	// 24 bytes: text_ set = a text; else md5_ all zero = empty (the all-zero md5 is kept as
	// text), else an md5.
	unsigned char md5_[16] = {};
	std::string *text_ = nullptr;  // owned
	bool is_md5() const;
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
	std::string id;
	IdList parents;                          // down_revision(s): empty = root, 2+ = merge point
	IdList depends_on;                       // cross-branch dependencies
	IdList branch_labels;
	std::string message;
	Checksum checksum;                       // checksum of the registered bodies
	bool has_downgrade = true;               // false = irreversible
	bool transactional = true;               // false: each statement runs at top level, in its own transaction
};

// A revision recorded as applied, with the checksum of its bodies as applied.
struct AppliedRevision {
	std::string id;
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
