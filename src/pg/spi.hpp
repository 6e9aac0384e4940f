// Thin SPI facade: constant, schema-qualified internal statements, prepared once per
// session, parameters passed as values (never concatenated), results read through
// bounds- and type-checked rows. Every call that can ereport goes through pg_call().
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pfm::pg {

using Text = std::optional<std::string>;  // std::nullopt = SQL NULL

// A parameter of an internal statement.
struct Param {
	enum class Kind { text, text_array, boolean, float8, float8_array, int4, int8, bytea } kind;
	bool isnull = false;
	std::string text;
	std::vector<std::string> list;
	std::vector<double> numbers;
	double number = 0;
	std::int64_t integer = 0;
	bool flag = false;
};

Param text_param(const Text &value);
Param text_array_param(const std::vector<std::string> &value);
Param bool_param(bool value);
Param float8_param(std::optional<double> value);
Param float8_array_param(const std::vector<double> &value);
Param int4_param(int value);
Param int8_param(std::int64_t value);
Param bytea_param(std::string bytes);

// Microseconds since 2000-01-01 00:00 UTC: PostgreSQL's TimestampTz, kept exact.
using Timestamp = std::int64_t;

// One row of the last result, deformed once. Column numbers are 1-based; a column number
// out of range or a column of another type than the accessor reads is an internal error
// (XX000 with a message), never a wild read. Valid until the next Spi::run().
class Row {
public:
	Text text(int column) const;                          // text, varchar or name
	std::string text_or(int column, const char *fallback) const;
	// The text in place, without a copy (NULL reads as empty); valid while the row is.
	std::string_view text_view(int column) const;
	std::vector<std::string> text_array(int column) const;  // text[]; NULL reads as empty
	// A bytea's bytes handed to `use` (NULL: empty); a detoasted copy is freed right after.
	void with_bytes(int column, const std::function<void(std::string_view)> &use) const;
	bool boolean(int column) const;                       // NULL reads as false
	std::optional<double> float8(int column) const;
	std::optional<std::int64_t> int8(int column) const;   // int2, int4 or int8
	std::optional<Timestamp> timestamptz(int column) const;
	int columns() const { return columns_; }

private:
	friend class Spi;
	friend struct RowAccess;
	// A catalog row has few columns: they are deformed into inline arrays (no allocation per
	// row when a whole table is read); the column types are the result's, kept by the Spi.
	static constexpr int inline_columns = 16;
	std::uintptr_t inline_values_[inline_columns] = {};  // Datum
	bool inline_nulls_[inline_columns] = {};
	std::vector<std::uintptr_t> more_values_;  // wider rows
	std::vector<char> more_nulls_;
	const unsigned *types_ = nullptr;  // Oid
	int columns_ = 0;
	std::uintptr_t datum(int column, bool *isnull, const unsigned *accepted, int n_accepted, const char *what) const;
};

class Spi {
public:
	enum class Mode { atomic, nonatomic };  // nonatomic: a procedure that commits (SPI_OPT_NONATOMIC)
	explicit Spi(Mode mode = Mode::atomic);  // SPI_connect
	void finish();                           // SPI_finish; on the success path (never from a destructor)
	Spi(const Spi &) = delete;
	Spi &operator=(const Spi &) = delete;

	// Runs an internal statement, prepared once per session and kept (the statement text is
	// the key). Frees the previous result first. Returns the number of rows processed.
	std::uint64_t run(const std::string &sql, const std::vector<Param> &params = {}, bool read_only = false);

	// Runs an internal statement and hands every row to each_row as the executor produces
	// it: no result is materialised, whatever its size (PostgreSQL 13: through a cursor, a
	// batch of rows at a time). The Row is valid during the call only; each_row may throw
	// (the statement then stops and the exception comes out of for_each_row). Returns the
	// number of rows. The last result of run() is freed first. (The executor checks for
	// interrupts between rows: a cancel stops a read of any size.)
	std::uint64_t for_each_row(const std::string &sql, const std::vector<Param> &params, bool read_only,
	                           const std::function<void(const Row &)> &each_row);

	// Reads a (large) result in batches instead: opens a cursor over an internal statement,
	// then each fetch() replaces the last result with up to `rows` more rows (0 = none left),
	// so at most one batch is materialised at a time. close_cursor() on the success path;
	// a cursor left open (an error) goes with the transaction, or with finish().
	void open_cursor(const std::string &sql, const std::vector<Param> &params = {}, bool read_only = false);
	std::uint64_t fetch(std::uint64_t rows);
	void close_cursor();

	// Row `row` (0-based) of the last result; out of range is an internal error.
	Row row(std::uint64_t row) const;
	// The same into an existing Row (a loop over many rows reuses one).
	void read_row(std::uint64_t row, Row &into) const;
	std::uint64_t rows() const { return rows_; }

	// Before rolling back a subtransaction that ran statements: forgets the last result
	// without freeing it (the rollback frees the subtransaction's results itself).
	void abandon_result() { forget_result(); }

	// Nonatomic mode only: commits (or rolls back) the transaction and starts a new one.
	// Every result and snapshot of the old transaction is gone afterwards.
	void commit();
	void rollback();

private:
	Mode mode_;
	void *result_ = nullptr;  // SPITupleTable of the last run(), freed by the next one
	void *cursor_ = nullptr;  // Portal of open_cursor()
	std::vector<unsigned> types_;  // column types (Oid) of the last result
	std::uint64_t rows_ = 0;
	void free_result();
	void forget_result();
	void keep_result(void *table, std::uint64_t rows);  // an SPITupleTable
};

}  // namespace pfm::pg
