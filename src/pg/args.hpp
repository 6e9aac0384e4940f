// Reading SQL arguments into C++ values, and returning text / rows to PostgreSQL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/boundary.hpp"
#include "pg/spi.hpp"

namespace pfm::pg {

// NULL is an error (22004) naming the parameter; the functions are not STRICT on purpose.
std::string required_text(FunctionCallInfo fcinfo, int n, const char *name);
std::optional<std::string> optional_text(FunctionCallInfo fcinfo, int n);
std::vector<std::string> optional_text_array(FunctionCallInfo fcinfo, int n, const char *name);
std::vector<std::string> required_text_array(FunctionCallInfo fcinfo, int n, const char *name);
bool required_bool(FunctionCallInfo fcinfo, int n, const char *name);
int required_int(FunctionCallInfo fcinfo, int n, const char *name);

Datum text_datum(const std::string &value);

// One cell of a result row (typed by the function's declared result columns).
struct Cell {
	enum class Kind { null, text, text_view, boolean, float8, int4, int8, text_array, timestamptz, name } kind = Kind::null;
	std::string text;
	std::string_view view;  // text_view: text that outlives the row's put() (no copy made)
	std::vector<std::string> list;
	bool flag = false;
	double number = 0;
	std::int64_t integer = 0;
	static Cell null() { return Cell{}; }
	static Cell of(std::string s) { Cell c; c.kind = Kind::text; c.text = std::move(s); return c; }
	static Cell of_view(std::string_view s) { Cell c; c.kind = Kind::text_view; c.view = s; return c; }
	static Cell of_optional(const std::optional<std::string> &s) { return s ? of(*s) : null(); }
	static Cell of(bool b) { Cell c; c.kind = Kind::boolean; c.flag = b; return c; }
	static Cell of(double d) { Cell c; c.kind = Kind::float8; c.number = d; return c; }
	static Cell of(std::vector<std::string> l) { Cell c; c.kind = Kind::text_array; c.list = std::move(l); return c; }
	static Cell int4(int i) { Cell c; c.kind = Kind::int4; c.integer = i; return c; }
	static Cell int8(std::int64_t i) { Cell c; c.kind = Kind::int8; c.integer = i; return c; }
	static Cell timestamptz(Timestamp t) { Cell c; c.kind = Kind::timestamptz; c.integer = t; return c; }
	static Cell name(std::string s) { Cell c; c.kind = Kind::name; c.text = std::move(s); return c; }
};
using ResultRow = std::vector<Cell>;

// Materializes rows into the function's tuplestore (set-returning functions).
// A row with another number of cells than the result has columns is an internal error,
// except that up to `newer_columns` trailing cells are left out for an older declaration
// (a database still at 0.1.0 declares fewer columns).
Datum return_rows(FunctionCallInfo fcinfo, const std::vector<ResultRow> &rows, std::size_t newer_columns = 0);

// The same, a row at a time: a call that produces a row per step (pfm_upgrade over 100 000
// revisions) hands each row over as the step finishes instead of keeping them all to the
// end. The tuplestore (and its memory) belongs to the query; put() converts a row in a
// memory context of its own, reset after each row. The function returns sink.result().
class RowSink {
public:
	explicit RowSink(FunctionCallInfo fcinfo, std::size_t newer_columns = 0);
	RowSink(const RowSink &) = delete;
	RowSink &operator=(const RowSink &) = delete;
	void put(const ResultRow &row) { put(row.data(), row.size()); }
	// (The cells of a braced list are built in place: a row per step copies none of them.)
	void put(std::initializer_list<Cell> row) { put(row.begin(), row.size()); }
	void put(const Cell *row, std::size_t cells);
	Datum result() const { return static_cast<Datum>(0); }

private:
	void *store_;         // Tuplestorestate
	void *desc_;          // TupleDesc
	MemoryContext row_context_;
	std::size_t columns_;
	std::size_t newer_columns_;
	std::vector<Datum> values_;
	std::unique_ptr<bool[]> nulls_;
};

}  // namespace pfm::pg
