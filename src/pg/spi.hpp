// Thin SPI facade: constant, schema-qualified internal statements, prepared once per
// session, parameters passed as values (never concatenated), results copied into C++.
// Every call that can ereport goes through pg_call().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pfm::pg {

using Text = std::optional<std::string>;  // std::nullopt = SQL NULL

struct Param {
	enum class Kind { text, text_array, boolean, float8, float8_array } kind;
	bool isnull = false;
	std::string text;
	std::vector<std::string> list;
	std::vector<double> numbers;
	double number = 0;
	bool flag = false;
};

Param text_param(const Text &value);
Param text_array_param(const std::vector<std::string> &value);
Param bool_param(bool value);
Param float8_param(std::optional<double> value);
Param float8_array_param(const std::vector<double> &value);

class Spi {
public:
	Spi();                  // SPI_connect
	void finish();          // SPI_finish; call on the success path (never from a destructor)
	Spi(const Spi &) = delete;
	Spi &operator=(const Spi &) = delete;

	// Runs an internal statement (sql must be a string literal: it keys the plan cache).
	// Returns the number of rows processed; results stay readable until the next run().
	std::uint64_t run(const char *sql, const std::vector<Param> &params = {}, bool read_only = false);

	Text text(std::uint64_t row, int column) const;    // 1-based column
	// All columns of a row of text-typed columns at once (one tuple deform): for bulk reads.
	std::vector<Text> texts(std::uint64_t row) const;
	std::string text_or(std::uint64_t row, int column, const char *fallback) const;
	bool boolean(std::uint64_t row, int column) const; // NULL reads as false
};

}  // namespace pfm::pg
