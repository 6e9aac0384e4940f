#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "pg/spi.hpp"

#include "pg/boundary.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
}

namespace pfm::pg {

Param
text_param(const Text &value)
{
	Param p{Param::Kind::text};
	p.isnull = !value.has_value();
	if (value)
		p.text = *value;
	return p;
}

Param
text_array_param(const std::vector<std::string> &value)
{
	Param p{Param::Kind::text_array};
	p.list = value;
	return p;
}

Param
bool_param(bool value)
{
	Param p{Param::Kind::boolean};
	p.flag = value;
	return p;
}

Param
float8_param(std::optional<double> value)
{
	Param p{Param::Kind::float8};
	p.isnull = !value.has_value();
	p.number = value.value_or(0);
	return p;
}

Param
float8_array_param(const std::vector<double> &value)
{
	Param p{Param::Kind::float8_array};
	p.numbers = value;
	return p;
}

Param
int4_param(int value)
{
	Param p{Param::Kind::int4};
	p.integer = value;
	return p;
}

Param
int8_param(std::int64_t value)
{
	Param p{Param::Kind::int8};
	p.integer = value;
	return p;
}

namespace {

Oid
type_of(const Param &p)
{
	switch (p.kind) {
	case Param::Kind::text: return TEXTOID;
	case Param::Kind::text_array: return TEXTARRAYOID;
	case Param::Kind::boolean: return BOOLOID;
	case Param::Kind::float8: return FLOAT8OID;
	case Param::Kind::float8_array: return FLOAT8ARRAYOID;
	case Param::Kind::int4: return INT4OID;
	case Param::Kind::int8: return INT8OID;
	}
	return InvalidOid;
}

// Session-lifetime plan cache keyed by the statement text; plans are SPI_keepplan'd, and
// PostgreSQL's plan cache re-plans them when the catalog changes underneath.
std::unordered_map<std::string, SPIPlanPtr> plan_cache;

SPIPlanPtr
prepared_plan(const std::string &sql, const std::vector<Param> &params)
{
	if (auto it = plan_cache.find(sql); it != plan_cache.end())
		return it->second;
	std::vector<Oid> types(params.size());
	for (std::size_t i = 0; i < params.size(); i++)
		types[i] = type_of(params[i]);
	const char *text = sql.c_str();
	Oid *argtypes = types.data();
	const int nargs = static_cast<int>(types.size());
	struct Prepared {
		SPIPlanPtr plan;
		int result;
	};
	Prepared p = pg_call([&] {
		SPIPlanPtr plan = SPI_prepare(text, nargs, argtypes);
		if (plan)
			SPI_keepplan(plan);
		return Prepared{plan, SPI_result};
	});
	if (!p.plan)
		internal_error("could not prepare an internal query (SPI result " + std::to_string(p.result) + "): " + sql);
	plan_cache.emplace(sql, p.plan);
	return p.plan;
}

// Whether the parameter's Datum points to palloc'd memory (float8 and int8 are by value on
// 64-bit builds, by reference elsewhere).
bool
by_reference(const Param &p)
{
	switch (p.kind) {
	case Param::Kind::text:
	case Param::Kind::text_array:
	case Param::Kind::float8_array: return true;
	case Param::Kind::float8: return !FLOAT8PASSBYVAL;
	case Param::Kind::int8: return !FLOAT8PASSBYVAL;  // (USE_FLOAT8_BYVAL covers both)
	case Param::Kind::boolean:
	case Param::Kind::int4: return false;
	}
	return false;
}

Datum
array_datum(int count, Oid element_type, const std::vector<std::string> *texts, const std::vector<double> *numbers)
{
	return pg_call([&] {
		Datum *elems = static_cast<Datum *>(palloc(sizeof(Datum) * (count > 0 ? count : 1)));
		for (int k = 0; k < count; k++)
			elems[k] = texts ? PointerGetDatum(cstring_to_text_with_len((*texts)[static_cast<std::size_t>(k)].data(),
			                                                             static_cast<int>((*texts)[static_cast<std::size_t>(k)].size())))
			                 : Float8GetDatum((*numbers)[static_cast<std::size_t>(k)]);
		int16 typlen;
		bool typbyval;
		char typalign;
		get_typlenbyvalalign(element_type, &typlen, &typbyval, &typalign);
		ArrayType *array = construct_array(elems, count, element_type, typlen, typbyval, typalign);
		// (construct_array copied them: the elements would otherwise stay with the array's
		// until SPI_finish, a few hundred bytes for every step of a deploy.)
		if (texts)
			for (int k = 0; k < count; k++)
				pfree(DatumGetPointer(elems[k]));
		pfree(elems);
		return PointerGetDatum(array);
	});
}

Datum
datum_of(const Param &p)
{
	switch (p.kind) {
	case Param::Kind::text: {
		const std::string &s = p.text;
		return pg_call([&] { return PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size()))); });
	}
	case Param::Kind::text_array: return array_datum(static_cast<int>(p.list.size()), TEXTOID, &p.list, nullptr);
	case Param::Kind::boolean: return BoolGetDatum(p.flag);
	case Param::Kind::float8: {
		double v = p.number;
		return pg_call([&] { return Float8GetDatum(v); });
	}
	case Param::Kind::float8_array: return array_datum(static_cast<int>(p.numbers.size()), FLOAT8OID, nullptr, &p.numbers);
	case Param::Kind::int4: return Int32GetDatum(static_cast<int32>(p.integer));
	case Param::Kind::int8: {
		int64 v = p.integer;
		return pg_call([&] { return Int64GetDatum(v); });
	}
	}
	internal_error("unknown parameter kind");
}

}  // namespace

Spi::Spi(Mode mode) : mode_(mode)
{
	const int options = mode == Mode::nonatomic ? SPI_OPT_NONATOMIC : 0;
	int rc = pg_call([&] { return SPI_connect_ext(options); });
	if (rc != SPI_OK_CONNECT)
		internal_error("could not connect to the SPI manager (SPI result " + std::to_string(rc) + ")");
}

void
Spi::finish()
{
	free_result();
	pg_call([] { SPI_finish(); });
}

void
Spi::forget_result()
{
	result_ = nullptr;
	rows_ = 0;
}

void
Spi::free_result()
{
	auto *result = static_cast<SPITupleTable *>(result_);
	forget_result();
	if (result)
		pg_call([&] { SPI_freetuptable(result); });
}

std::uint64_t
Spi::run(const std::string &sql, const std::vector<Param> &params, bool read_only)
{
	free_result();
	SPIPlanPtr plan = prepared_plan(sql, params);
	std::vector<Datum> values(params.size());
	std::vector<char> nulls(params.size(), ' ');
	for (std::size_t i = 0; i < params.size(); i++) {
		if (params[i].isnull)
			nulls[i] = 'n';
		else
			values[i] = datum_of(params[i]);
	}
	Datum *value_ptr = values.data();
	const char *null_ptr = nulls.data();
	struct Outcome {
		int rc;
		uint64 processed;
		SPITupleTable *table;
	};
	// (The parameters' values are palloc'd in the SPI procedure context, which lives until
	// SPI_finish -- across the commits of a procedure: they are freed right after the
	// statement, or a call that runs one statement per step would keep every step's.)
	std::vector<void *> palloced;
	palloced.reserve(params.size());
	for (std::size_t i = 0; i < params.size(); i++)
		if (!params[i].isnull && by_reference(params[i]))
			palloced.push_back(DatumGetPointer(values[i]));
	void **to_free = palloced.data();
	const std::size_t n_free = palloced.size();
	Outcome out = pg_call([&] {
		int rc = SPI_execute_plan(plan, value_ptr, null_ptr, read_only, 0);
		for (std::size_t i = 0; i < n_free; i++)
			pfree(to_free[i]);
		return Outcome{rc, SPI_processed, SPI_tuptable};
	});
	if (out.rc < 0)
		internal_error("internal query failed (SPI result " + std::to_string(out.rc) + "): " + sql);
	result_ = out.table;
	rows_ = out.table ? out.processed : 0;
	return out.processed;
}

Row
Spi::row(std::uint64_t index) const
{
	if (result_ == nullptr || index >= rows_)
		internal_error("row " + std::to_string(index) + " read from a result of " + std::to_string(rows_) + " rows");
	auto *table = static_cast<SPITupleTable *>(result_);
	const int natts = table->tupdesc->natts;
	Row r;
	r.values_.resize(static_cast<std::size_t>(natts));
	r.nulls_.resize(static_cast<std::size_t>(natts));
	r.types_.resize(static_cast<std::size_t>(natts));
	Datum *values = reinterpret_cast<Datum *>(r.values_.data());
	static_assert(sizeof(Datum) == sizeof(std::uintptr_t), "Datum is a uintptr_t");
	bool *nulls = reinterpret_cast<bool *>(r.nulls_.data());
	static_assert(sizeof(bool) == sizeof(char), "bool is one byte");
	unsigned *types = r.types_.data();
	pg_call([&] {
		heap_deform_tuple(table->vals[index], table->tupdesc, values, nulls);
		for (int i = 0; i < natts; i++)
			types[i] = TupleDescAttr(table->tupdesc, i)->atttypid;
	});
	return r;
}

void
Spi::commit()
{
	if (mode_ != Mode::nonatomic)
		internal_error("commit() on an atomic SPI connection");
	forget_result();  // SPI releases the old transaction's results itself
	pg_call([] {
		SPI_commit();
#if PG_VERSION_NUM < 150000
		SPI_start_transaction();
#endif
	});
}

void
Spi::rollback()
{
	if (mode_ != Mode::nonatomic)
		internal_error("rollback() on an atomic SPI connection");
	forget_result();
	pg_call([] {
		SPI_rollback();
#if PG_VERSION_NUM < 150000
		SPI_start_transaction();
#endif
	});
}

std::uintptr_t
Row::datum(int column, bool *isnull, const unsigned *accepted, int n_accepted, const char *what) const
{
	if (column < 1 || column > columns())
		internal_error("column " + std::to_string(column) + " read from a row of " + std::to_string(columns()) +
		               " columns");
	const auto i = static_cast<std::size_t>(column - 1);
	bool type_ok = false;
	for (int k = 0; k < n_accepted; k++)
		type_ok = type_ok || types_[i] == accepted[k];
	if (!type_ok)
		internal_error("column " + std::to_string(column) + " has type " + std::to_string(types_[i]) + ", read as " +
		               what);
	*isnull = nulls_[i] != 0;
	return values_[i];
}

Text
Row::text(int column) const
{
	static const unsigned accepted[] = {TEXTOID, VARCHAROID, NAMEOID};
	bool isnull;
	Datum d = datum(column, &isnull, accepted, 3, "text");
	if (isnull)
		return std::nullopt;
	struct Ref {
		const char *data;
		std::size_t len;
		void *copy;  // a detoasted copy of the datum (a compressed or out-of-line body), else null
	};
	const bool is_name = types_[static_cast<std::size_t>(column - 1)] == NAMEOID;
	Ref ref = pg_call([&] {
		if (is_name) {
			const char *s = NameStr(*DatumGetName(d));
			return Ref{s, strlen(s), nullptr};
		}
		struct varlena *t = PG_DETOAST_DATUM_PACKED(d);
		return Ref{VARDATA_ANY(t), static_cast<std::size_t>(VARSIZE_ANY_EXHDR(t)),
		           reinterpret_cast<Pointer>(t) != DatumGetPointer(d) ? static_cast<void *>(t) : nullptr};
	});
	std::string out(ref.data, ref.len);
	// (A catalog read detoasts every body it reads: the copies would stay until SPI_finish.)
	if (void *copy = ref.copy)
		pg_call([copy] { pfree(copy); });
	return out;
}

std::string
Row::text_or(int column, const char *fallback) const
{
	Text t = text(column);
	return t ? *t : std::string(fallback);
}

std::vector<std::string>
Row::text_array(int column) const
{
	static const unsigned accepted[] = {TEXTARRAYOID};
	bool isnull;
	Datum d = datum(column, &isnull, accepted, 1, "text[]");
	std::vector<std::string> out;
	if (isnull)
		return out;
	// (What deconstruct_array and a detoasted copy allocate is freed below: a catalog read
	// calls this for every revision, and the garbage would stay until the call ends.)
	struct Elements {
		Datum *values;
		bool *nulls;
		int count;
		ArrayType *copy;  // the detoasted array when it is not the datum itself
	};
	Elements e = pg_call([&] {
		Elements el{nullptr, nullptr, 0, nullptr};
		ArrayType *array = DatumGetArrayTypeP(d);
		if (reinterpret_cast<Pointer>(array) != DatumGetPointer(d))
			el.copy = array;
		if (ARR_NDIM(array) > 0)
			deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &el.values, &el.nulls, &el.count);
		return el;
	});
	auto release = [](const Elements &el) {
		pg_call([&el] {
			if (el.values)
				pfree(el.values);
			if (el.nulls)
				pfree(el.nulls);
			if (el.copy)
				pfree(el.copy);
		});
	};
	out.reserve(static_cast<std::size_t>(e.count));
	for (int k = 0; k < e.count; k++) {
		if (e.nulls[k]) {
			release(e);
			internal_error("NULL element in a text[] column");
		}
		Datum item = e.values[k];
		struct Ref {
			const char *data;
			std::size_t len;
		};
		Ref ref = pg_call([&] {
			struct varlena *t = PG_DETOAST_DATUM_PACKED(item);
			return Ref{VARDATA_ANY(t), static_cast<std::size_t>(VARSIZE_ANY_EXHDR(t))};
		});
		out.emplace_back(ref.data, ref.len);
	}
	release(e);
	return out;
}

bool
Row::boolean(int column) const
{
	static const unsigned accepted[] = {BOOLOID};
	bool isnull;
	Datum d = datum(column, &isnull, accepted, 1, "boolean");
	return !isnull && DatumGetBool(d);
}

std::optional<double>
Row::float8(int column) const
{
	static const unsigned accepted[] = {FLOAT8OID};
	bool isnull;
	Datum d = datum(column, &isnull, accepted, 1, "double precision");
	if (isnull)
		return std::nullopt;
	return DatumGetFloat8(d);
}

std::optional<std::int64_t>
Row::int8(int column) const
{
	static const unsigned accepted[] = {INT2OID, INT4OID, INT8OID};
	bool isnull;
	Datum d = datum(column, &isnull, accepted, 3, "integer");
	if (isnull)
		return std::nullopt;
	switch (types_[static_cast<std::size_t>(column - 1)]) {
	case INT2OID: return DatumGetInt16(d);
	case INT4OID: return DatumGetInt32(d);
	default: return DatumGetInt64(d);
	}
}

std::optional<Timestamp>
Row::timestamptz(int column) const
{
	static const unsigned accepted[] = {TIMESTAMPTZOID};
	bool isnull;
	Datum d = datum(column, &isnull, accepted, 1, "timestamp with time zone");
	if (isnull)
		return std::nullopt;
	return DatumGetTimestampTz(d);
}

}  // namespace pfm::pg
