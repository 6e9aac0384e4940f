#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog_image.hpp"

namespace pfm::core {

namespace {

// Layout (integers little-endian u32):
//   magic, revision count, applied count,
//   per revision: id, parents, depends_on, branch_labels, message, checksum, flags (u8:
//     1 has_downgrade, 2 transactional),
//   per applied row: id, checksum,
//   end mark.
// A text is its length and bytes; a list its count and texts; a checksum a kind (u8: 0
// none, 1 md5 + 16 bytes, 2 text + a text).
constexpr std::string_view magic = "pfm_migrate catalog image 1\n";
constexpr std::uint32_t end_mark = 0x21676d69;  // "img!"
constexpr unsigned char flag_downgrade = 1, flag_transactional = 2;
// The fewest bytes a revision and an applied row take: what a count may claim at most.
constexpr std::size_t min_revision_bytes = 4 + 4 + 4 + 4 + 4 + 1 + 1, min_applied_bytes = 4 + 1;

class Writer {
public:
	explicit Writer(std::string &out) : out_(out) {}
	void u8(unsigned char v) { out_.push_back(static_cast<char>(v)); }
	void u32(std::uint32_t v)
	{
		for (int k = 0; k < 4; ++k)
			out_.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
	}
	void text(std::string_view s)
	{
		u32(static_cast<std::uint32_t>(s.size()));
		out_.append(s.data(), s.size());
	}
	void list(const IdList &items)
	{
		u32(static_cast<std::uint32_t>(items.size()));
		for (std::string_view item : items)
			text(item);
	}
	void checksum(const Checksum &c)
	{
		std::string_view md5 = c.md5_bytes();
		if (!md5.empty()) {
			u8(1);
			out_.append(md5.data(), md5.size());
		} else if (c.empty()) {
			u8(0);
		} else {
			u8(2);
			text(c.str());
		}
	}

private:
	std::string &out_;
};

class Reader {
public:
	explicit Reader(std::string_view in) : in_(in) {}
	bool ok() const { return ok_; }
	bool at_end() const { return ok_ && at_ == in_.size(); }
	std::size_t left() const { return in_.size() - at_; }
	std::string_view bytes(std::size_t n)
	{
		if (!ok_ || n > left()) {
			ok_ = false;
			return {};
		}
		std::string_view out = in_.substr(at_, n);
		at_ += n;
		return out;
	}
	unsigned char u8()
	{
		std::string_view b = bytes(1);
		return b.empty() ? 0 : static_cast<unsigned char>(b[0]);
	}
	std::uint32_t u32()
	{
		std::string_view b = bytes(4);
		std::uint32_t v = 0;
		for (std::size_t k = 0; k < b.size(); ++k)
			v |= static_cast<std::uint32_t>(static_cast<unsigned char>(b[k])) << (8 * k);
		return v;
	}
	std::string_view text() { return bytes(u32()); }
	void list(IdList &items)
	{
		const std::uint32_t n = u32();
		if (n > left() / 4) {  // each item takes at least its length
			ok_ = false;
			return;
		}
		for (std::uint32_t k = 0; k < n && ok_; ++k) {
			std::string_view item = text();
			if (ok_)
				items.push_back(item);
		}
	}
	Checksum checksum()
	{
		switch (u8()) {
		case 0: return Checksum();
		case 1: {
			std::string_view md5 = bytes(16);
			Checksum c = Checksum::of_md5_bytes(md5);
			if (ok_ && c.md5_bytes().empty())  // all zero: written as a text, never as md5
				ok_ = false;
			return c;
		}
		case 2: {
			std::string_view t = text();
			Checksum c(t);
			if (ok_ && (t.empty() || !c.md5_bytes().empty()))  // would have been kind 0 or 1
				ok_ = false;
			return c;
		}
		default: ok_ = false; return Checksum();
		}
	}
	void fail() { ok_ = false; }

private:
	std::string_view in_;
	std::size_t at_ = 0;
	bool ok_ = true;
};

}  // namespace

std::string
encode_catalog_image(const std::vector<Revision> &revisions, const std::vector<AppliedRevision> &applied)
{
	std::string out;
	std::size_t estimate = magic.size() + 12;
	for (const Revision &r : revisions)
		estimate += 48 + r.id.size() + r.message.size() + 8 * r.parents.size();
	for (const AppliedRevision &a : applied)
		estimate += 24 + a.id.size();
	out.reserve(estimate);
	out.append(magic.data(), magic.size());
	Writer w(out);
	w.u32(static_cast<std::uint32_t>(revisions.size()));
	w.u32(static_cast<std::uint32_t>(applied.size()));
	for (const Revision &r : revisions) {
		w.text(r.id);
		w.list(r.parents);
		w.list(r.depends_on);
		w.list(r.branch_labels);
		w.text(r.message);
		w.checksum(r.checksum);
		w.u8(static_cast<unsigned char>((r.has_downgrade ? flag_downgrade : 0) |
		                                (r.transactional ? flag_transactional : 0)));
	}
	for (const AppliedRevision &a : applied) {
		w.text(a.id);
		w.checksum(a.checksum);
	}
	w.u32(end_mark);
	return out;
}

namespace {

// The header: the counts, when they are plausible for the image's size.
bool
read_counts(Reader &in, std::uint32_t &n_revisions, std::uint32_t &n_applied)
{
	if (in.bytes(magic.size()) != magic)
		return false;
	n_revisions = in.u32();
	n_applied = in.u32();
	return in.ok() && n_revisions <= in.left() / min_revision_bytes &&
	       n_applied <= (in.left() - n_revisions * min_revision_bytes) / min_applied_bytes;
}

}  // namespace

bool
catalog_image_counts(std::string_view image, std::size_t &revisions, std::size_t &applied)
{
	Reader in(image);
	std::uint32_t r = 0, a = 0;
	if (!read_counts(in, r, a))
		return false;
	revisions = r;
	applied = a;
	return true;
}

bool
decode_catalog_image(std::string_view image, std::vector<Revision> &revisions, std::vector<AppliedRevision> &applied)
{
	revisions.clear();
	applied.clear();
	Reader in(image);
	std::uint32_t n_revisions = 0, n_applied = 0;
	if (!read_counts(in, n_revisions, n_applied))
		return false;
	revisions.reserve(n_revisions);
	for (std::uint32_t i = 0; i < n_revisions && in.ok(); ++i) {
		revisions.emplace_back();
		Revision &r = revisions.back();
		r.id = std::string(in.text());
		in.list(r.parents);
		in.list(r.depends_on);
		in.list(r.branch_labels);
		r.message = std::string(in.text());
		r.checksum = in.checksum();
		const unsigned char flags = in.u8();
		if (flags & ~(flag_downgrade | flag_transactional))
			in.fail();
		r.has_downgrade = (flags & flag_downgrade) != 0;
		r.transactional = (flags & flag_transactional) != 0;
	}
	applied.reserve(n_applied);
	for (std::uint32_t i = 0; i < n_applied && in.ok(); ++i) {
		std::string id(in.text());
		applied.push_back({std::move(id), in.checksum()});
	}
	if (in.u32() != end_mark || !in.at_end()) {
		revisions.clear();
		applied.clear();
		return false;
	}
	return true;
}

}  // namespace pfm::core
