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
#include "executor/tuptable.h"
#include "nodes/params.h"
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

Param
bytea_param(std::string bytes)
{
	Param p{Param::Kind::bytea};
	p.text = std::move(bytes);
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
	case Param::Kind::bytea: return BYTEAOID;
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
	case Param::Kind::bytea:
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
	case Param::Kind::text:
	case Param::Kind::bytea: {  // (the same varlena layout)
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
	close_cursor();
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

namespace {

// The parameters of a prepared statement as SPI takes them, and the values palloc'd for
// them (in the SPI procedure context, which lives until SPI_finish -- across the commits of
// a procedure: they are freed right after the statement, or a call that runs one
// statement per step would keep every step's).
struct BoundParams {
	std::vector<Datum> values;
	std::vector<char> nulls;
	std::vector<void *> palloced;
};

BoundParams
bind_params(const std::vector<Param> &params)
{
	BoundParams b{std::vector<Datum>(params.size()), std::vector<char>(params.size(), ' '), {}};
	for (std::size_t i = 0; i < params.size(); i++) {
		if (params[i].isnull) {
			b.nulls[i] = 'n';
		} else {
			b.values[i] = datum_of(params[i]);
			if (by_reference(params[i]))
				b.palloced.push_back(DatumGetPointer(b.values[i]));
		}
	}
	return b;
}

}  // namespace

std::uint64_t
Spi::run(const std::string &sql, const std::vector<Param> &params, bool read_only)
{
	free_result();
	SPIPlanPtr plan = prepared_plan(sql, params);
	BoundParams bound = bind_params(params);
	Datum *value_ptr = bound.values.data();
	const char *null_ptr = bound.nulls.data();
	struct Outcome {
		int rc;
		uint64 processed;
		SPITupleTable *table;
	};
	void **to_free = bound.palloced.data();
	const std::size_t n_free = bound.palloced.size();
	Outcome out = pg_call([&] {
		int rc = SPI_execute_plan(plan, value_ptr, null_ptr, read_only, 0);
		for (std::size_t i = 0; i < n_free; i++)
			pfree(to_free[i]);
		return Outcome{rc, SPI_processed, SPI_tuptable};
	});
	if (out.rc < 0)
		internal_error("internal query failed (SPI result " + std::to_string(out.rc) + "): " + sql);
	keep_result(out.table, out.processed);
	return out.processed;
}

void
Spi::open_cursor(const std::string &sql, const std::vector<Param> &params, bool read_only)
{
	free_result();
	if (cursor_)
		internal_error("a second cursor opened before the first was closed: " + sql);
	SPIPlanPtr plan = prepared_plan(sql, params);
	BoundParams bound = bind_params(params);
	Datum *value_ptr = bound.values.data();
	const char *null_ptr = bound.nulls.data();
	// (SPI_cursor_open copies the parameter values into the portal.)
	cursor_ = pg_call([&] { return static_cast<void *>(SPI_cursor_open(nullptr, plan, value_ptr, null_ptr, read_only)); });
}

std::uint64_t
Spi::fetch(std::uint64_t rows)
{
	free_result();
	if (!cursor_)
		internal_error("fetch() without an open cursor");
	auto *portal = static_cast<Portal>(cursor_);
	const auto count = static_cast<long>(rows);
	struct Outcome {
		uint64 processed;
		SPITupleTable *table;
	};
	Outcome out = pg_call([&] {
		SPI_cursor_fetch(portal, true, count);
		return Outcome{SPI_processed, SPI_tuptable};
	});
	keep_result(out.table, out.processed);
	return rows_;
}

void
Spi::close_cursor()
{
	free_result();
	auto *portal = static_cast<Portal>(cursor_);
	cursor_ = nullptr;
	if (portal)
		pg_call([&] { SPI_cursor_close(portal); });
}

Row
Spi::row(std::uint64_t index) const
{
	Row r;
	read_row(index, r);
	return r;
}

// Fills a Row from deformed values (a tuple of the last result, or a slot being streamed).
struct RowAccess {
	static void fill(Row &r, const Datum *values, const bool *nulls, int natts, const unsigned *types)
	{
		static_assert(sizeof(Datum) == sizeof(std::uintptr_t), "Datum is a uintptr_t");
		static_assert(sizeof(bool) == sizeof(char), "bool is one byte");
		if (natts > Row::inline_columns) {
			r.more_values_.assign(values, values + natts);
			r.more_nulls_.assign(nulls, nulls + natts);
		} else {
			std::memcpy(r.inline_values_, values, sizeof(Datum) * static_cast<std::size_t>(natts));
			std::memcpy(r.inline_nulls_, nulls, sizeof(bool) * static_cast<std::size_t>(natts));
		}
		r.types_ = types;
		r.columns_ = natts;
	}
	static constexpr int inline_columns = Row::inline_columns;
};

void
Spi::read_row(std::uint64_t index, Row &r) const
{
	if (result_ == nullptr || index >= rows_)
		internal_error("row " + std::to_string(index) + " read from a result of " + std::to_string(rows_) + " rows");
	auto *table = static_cast<SPITupleTable *>(result_);
	const int natts = table->tupdesc->natts;
	if (types_.size() != static_cast<std::size_t>(natts))
		internal_error("the column types of the result were not kept");
	std::vector<Datum> wide_values;
	std::vector<char> wide_nulls;
	Datum inline_values[RowAccess::inline_columns];
	bool inline_nulls[RowAccess::inline_columns];
	Datum *values = inline_values;
	bool *nulls = inline_nulls;
	if (natts > RowAccess::inline_columns) {
		wide_values.resize(static_cast<std::size_t>(natts));
		wide_nulls.resize(static_cast<std::size_t>(natts));
		values = wide_values.data();
		nulls = reinterpret_cast<bool *>(wide_nulls.data());
	}
	HeapTuple tuple = table->vals[index];
	TupleDesc desc = table->tupdesc;
	pg_call([&] { heap_deform_tuple(tuple, desc, values, nulls); });
	RowAccess::fill(r, values, nulls, natts, types_.data());
}

namespace {

// The DestReceiver of for_each_row(): hands each slot to the C++ callback, in_callback().
struct RowStream {
	DestReceiver receiver;  // first: what the executor is given
	const std::function<void(const Row &)> *each_row;
	Row *row;
	std::vector<unsigned> *types;
	std::exception_ptr *failure;
	std::uint64_t rows;
};

void
stream_startup(DestReceiver *self, int, TupleDesc desc)
{
	auto *s = reinterpret_cast<RowStream *>(self);
	in_callback(
		[&] {
			s->types->resize(static_cast<std::size_t>(desc->natts));
			for (int i = 0; i < desc->natts; i++)
				(*s->types)[static_cast<std::size_t>(i)] = TupleDescAttr(desc, i)->atttypid;
		},
		*s->failure);
}

bool
stream_receive(TupleTableSlot *slot, DestReceiver *self)
{
	auto *s = reinterpret_cast<RowStream *>(self);
	if (*s->failure)
		return false;
	slot_getallattrs(slot);
	const int natts = slot->tts_tupleDescriptor->natts;
	return in_callback(
		[&] {
			if (s->types->size() != static_cast<std::size_t>(natts))
				internal_error("a streamed row does not match its columns");
			RowAccess::fill(*s->row, slot->tts_values, slot->tts_isnull, natts, s->types->data());
			(*s->each_row)(*s->row);
			s->rows++;
		},
		*s->failure);
}

void
stream_shutdown(DestReceiver *)
{
}

}  // namespace

std::uint64_t
Spi::for_each_row(const std::string &sql, const std::vector<Param> &params, bool read_only,
                  const std::function<void(const Row &)> &each_row)
{
	free_result();
#if PG_VERSION_NUM >= 140000
	SPIPlanPtr plan = prepared_plan(sql, params);
	BoundParams bound = bind_params(params);
	std::exception_ptr failure;
	std::vector<unsigned> types;
	Row row;
	RowStream stream{};
	stream.receiver.receiveSlot = stream_receive;
	stream.receiver.rStartup = stream_startup;
	stream.receiver.rShutdown = stream_shutdown;
	stream.receiver.rDestroy = stream_shutdown;
	stream.receiver.mydest = DestNone;
	stream.each_row = &each_row;
	stream.row = &row;
	stream.types = &types;
	stream.failure = &failure;
	RowStream *receiver = &stream;
	const Datum *values = bound.values.data();
	const char *nulls = bound.nulls.data();
	const int nargs = static_cast<int>(params.size());
	int rc = pg_call([&] {
		ParamListInfo list = nullptr;
		if (nargs > 0) {
			list = makeParamList(nargs);
			for (int i = 0; i < nargs; i++) {
				list->params[i].value = values[i];
				list->params[i].isnull = nulls[i] == 'n';
				list->params[i].pflags = PARAM_FLAG_CONST;
				list->params[i].ptype = SPI_getargtypeid(plan, i);
			}
		}
		SPIExecuteOptions options;
		memset(&options, 0, sizeof options);
		options.params = list;
		options.read_only = read_only;
		options.dest = &receiver->receiver;
		return SPI_execute_plan_extended(plan, &options);
	});
	if (failure)
		std::rethrow_exception(failure);
	if (rc < 0)
		internal_error("internal query failed (SPI result " + std::to_string(rc) + "): " + sql);
	return stream.rows;
#else
	std::uint64_t count = 0;
	open_cursor(sql, params, read_only);
	Row row;
	while (std::uint64_t n = fetch(1000)) {
		for (std::uint64_t i = 0; i < n; i++) {
			read_row(i, row);
			each_row(row);
		}
		count += n;
	}
	close_cursor();
	return count;
#endif
}

void
Spi::keep_result(void *table, std::uint64_t rows)
{
	result_ = table;
	rows_ = table ? rows : 0;
	types_.clear();
	if (!table)
		return;
	TupleDesc desc = static_cast<SPITupleTable *>(table)->tupdesc;
	types_.resize(static_cast<std::size_t>(desc->natts));
	for (int i = 0; i < desc->natts; i++)
		types_[static_cast<std::size_t>(i)] = TupleDescAttr(desc, i)->atttypid;
}

void
Spi::commit()
{
	if (mode_ != Mode::nonatomic)
		internal_error("commit() on an atomic SPI connection");
	forget_result();  // SPI releases the old transaction's results (and cursors) itself
	cursor_ = nullptr;
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
	cursor_ = nullptr;
	pg_call([] {
		SPI_rollback();
#if PG_VERSION_NUM < 150000
		SPI_start_transaction();
#endif
	});
}

namespace {

// A text datum's bytes: read in place when stored plainly (what a catalog row holds), through
// PostgreSQL's detoasting (a copy in the current memory context, returned in *copy for the
// caller to free, or left to the context when copy is null) only when compressed or out of
// line.
std::string_view
text_ref(Datum d, void **copy = nullptr)
{
	const auto *raw = reinterpret_cast<const struct varlena *>(DatumGetPointer(d));
	// (A short header is plain; an out-of-line pointer has a one-byte header too.)
	if (!VARATT_IS_EXTERNAL(raw) && !VARATT_IS_COMPRESSED(raw))
		return std::string_view(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw));
	struct Ref {
		const char *data;
		std::size_t len;
		void *copy;
	};
	Ref ref = pg_call([&] {
		struct varlena *t = PG_DETOAST_DATUM_PACKED(d);
		return Ref{VARDATA_ANY(t), static_cast<std::size_t>(VARSIZE_ANY_EXHDR(t)),
		           reinterpret_cast<Pointer>(t) != DatumGetPointer(d) ? static_cast<void *>(t) : nullptr};
	});
	if (copy)
		*copy = ref.copy;
	return std::string_view(ref.data, ref.len);
}

// The text copied out; a detoasted copy is freed at once (a catalog read detoasts every
// long body it reads: the copies would stay until SPI_finish).
std::string
text_of(Datum d)
{
	void *copy = nullptr;
	std::string out(text_ref(d, &copy));
	if (copy)
		pg_call([copy] { pfree(copy); });
	return out;
}

// A one-dimensional text[] without NULLs, read where it lies (a catalog row's arrays are
// small and stored with a short header): no detoasted copy, no deconstruct_array. False,
// with nothing appended, when the array must go the general way (compressed, out of line,
// NULLs, more dimensions, or not shaped as expected).
bool
text_array_in_place(Datum d, std::vector<std::string> &out)
{
	const auto *raw = reinterpret_cast<const struct varlena *>(DatumGetPointer(d));
	if (VARATT_IS_EXTERNAL(raw) || VARATT_IS_COMPRESSED(raw))
		return false;
	// The bytes after the header are those of the array with a 4-byte header: offsets are
	// taken from where that header would begin.
	const char *base = VARDATA_ANY(raw) - VARHDRSZ;
	const std::size_t size = VARSIZE_ANY_EXHDR(raw) + VARHDRSZ;
	auto int_at = [base](std::size_t offset) {
		int32 v;
		memcpy(&v, base + offset, sizeof v);
		return v;
	};
	if (size < sizeof(ArrayType))
		return false;
	const int32 ndim = int_at(offsetof(ArrayType, ndim));
	if (ndim == 0)
		return true;
	if (ndim != 1 || int_at(offsetof(ArrayType, dataoffset)) != 0 || size < ARR_OVERHEAD_NONULLS(1))
		return false;
	const int32 count = int_at(sizeof(ArrayType));
	if (count < 0 || static_cast<std::size_t>(count) > size / VARHDRSZ_SHORT)
		return false;
	// (out is empty: a shape given up on half-way leaves it empty again.)
	auto give_up = [&out] {
		out.clear();
		return false;
	};
	out.reserve(static_cast<std::size_t>(count));
	std::size_t offset = ARR_OVERHEAD_NONULLS(1);
	for (int32 k = 0; k < count; k++) {
		offset = INTALIGN(offset);  // text's typalign
		if (offset + VARHDRSZ_SHORT > size)
			return give_up();
		const char *item = base + offset;
		std::size_t item_size, header;
		if (VARATT_IS_1B(item)) {
			if (VARATT_IS_1B_E(item))
				return give_up();
			item_size = VARSIZE_1B(item);
			header = VARHDRSZ_SHORT;
		} else {
			if (offset + VARHDRSZ > size)
				return give_up();
			union {
				uint32 word;
				char bytes[VARHDRSZ];
			} h;
			memcpy(h.bytes, item, VARHDRSZ);
			if (!VARATT_IS_4B_U(h.bytes))
				return give_up();
			item_size = VARSIZE_4B(h.bytes);
			header = VARHDRSZ;
		}
		if (item_size < header || offset + item_size > size)
			return give_up();
		out.emplace_back(item + header, item_size - header);
		offset += item_size;
	}
	return true;
}

}  // namespace

std::uintptr_t
Row::datum(int column, bool *isnull, const unsigned *accepted, int n_accepted, const char *what) const
{
	if (column < 1 || column > columns_)
		internal_error("column " + std::to_string(column) + " read from a row of " + std::to_string(columns_) +
		               " columns");
	const auto i = static_cast<std::size_t>(column - 1);
	bool type_ok = false;
	for (int k = 0; k < n_accepted; k++)
		type_ok = type_ok || types_[i] == accepted[k];
	if (!type_ok)
		internal_error("column " + std::to_string(column) + " has type " + std::to_string(types_[i]) + ", read as " +
		               what);
	const bool wide = columns_ > inline_columns;
	*isnull = wide ? more_nulls_[i] != 0 : inline_nulls_[i];
	return wide ? more_values_[i] : inline_values_[i];
}

Text
Row::text(int column) const
{
	static const unsigned accepted[] = {TEXTOID, VARCHAROID, NAMEOID};
	bool isnull;
	Datum d = datum(column, &isnull, accepted, 3, "text");
	if (isnull)
		return std::nullopt;
	const bool is_name = types_[static_cast<std::size_t>(column - 1)] == NAMEOID;
	if (is_name) {
		const char *s = NameStr(*DatumGetName(d));
		return std::string(s, strlen(s));
	}
	return text_of(d);
}

std::string
Row::text_or(int column, const char *fallback) const
{
	Text t = text(column);
	return t ? std::move(*t) : std::string(fallback);
}

std::string_view
Row::text_view(int column) const
{
	static const unsigned accepted[] = {TEXTOID, VARCHAROID};
	bool isnull;
	Datum d = datum(column, &isnull, accepted, 2, "text");
	return isnull ? std::string_view() : text_ref(d);
}

void
Row::with_bytes(int column, const std::function<void(std::string_view)> &use) const
{
	static const unsigned accepted[] = {BYTEAOID};
	bool isnull;
	Datum d = datum(column, &isnull, accepted, 1, "bytea");
	if (isnull) {
		use(std::string_view());
		return;
	}
	void *copy = nullptr;
	std::string_view bytes = text_ref(d, &copy);
	auto release = [copy] {
		if (copy)
			pg_call([copy] { pfree(copy); });
	};
	try {
		use(bytes);
	} catch (...) {
		release();
		throw;
	}
	release();
}

std::vector<std::string>
Row::text_array(int column) const
{
	static const unsigned accepted[] = {TEXTARRAYOID};
	bool isnull;
	Datum d = datum(column, &isnull, accepted, 1, "text[]");
	std::vector<std::string> out;
	if (isnull || text_array_in_place(d, out))
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
		out.push_back(text_of(e.values[k]));
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
