#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "pg/args.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

namespace pfm::pg {

namespace {
[[noreturn]] void
null_argument(const char *name)
{
	throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, std::string("argument \"") + name + "\" must not be NULL");
}
}  // namespace

namespace {
// Copies a text Datum (detoasting it inside pg_call) into a std::string.
std::string
string_from_text_datum(Datum d)
{
	struct Ref {
		const char *data;
		int len;
	};
	Ref ref = pg_call([&] {
		text *t = DatumGetTextPP(d);
		return Ref{VARDATA_ANY(t), static_cast<int>(VARSIZE_ANY_EXHDR(t))};
	});
	return std::string(ref.data, static_cast<std::size_t>(ref.len));
}
}  // namespace

std::optional<std::string>
optional_text(FunctionCallInfo fcinfo, int n)
{
	if (PG_ARGISNULL(n))
		return std::nullopt;
	return string_from_text_datum(PG_GETARG_DATUM(n));
}

std::string
required_text(FunctionCallInfo fcinfo, int n, const char *name)
{
	auto value = optional_text(fcinfo, n);
	if (!value)
		null_argument(name);
	return *value;
}

std::vector<std::string>
optional_text_array(FunctionCallInfo fcinfo, int n, const char *name)
{
	std::vector<std::string> out;
	if (PG_ARGISNULL(n))
		return out;
	struct Elements {
		Datum *values;
		bool *nulls;
		int count;
	};
	Elements e = pg_call([&] {
		ArrayType *array = PG_GETARG_ARRAYTYPE_P(n);
		if (ARR_NDIM(array) > 1)
			ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("argument \"%s\" must be a one-dimensional array", name)));
		Elements el{nullptr, nullptr, 0};
		deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &el.values, &el.nulls, &el.count);
		return el;
	});
	for (int i = 0; i < e.count; i++) {
		if (e.nulls[i])
			throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, std::string("argument \"") + name + "\" must not contain NULL");
		out.push_back(string_from_text_datum(e.values[i]));
	}
	return out;
}

std::vector<std::string>
required_text_array(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		null_argument(name);
	return optional_text_array(fcinfo, n, name);
}

bool
required_bool(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		null_argument(name);
	return PG_GETARG_BOOL(n);
}

int
required_int(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		null_argument(name);
	return PG_GETARG_INT32(n);
}

Datum
text_datum(const std::string &value)
{
	const char *data = value.data();
	int len = static_cast<int>(value.size());
	return pg_call([&] { return PointerGetDatum(cstring_to_text_with_len(data, len)); });
}

namespace {

Datum
cell_datum(const Cell &cell, bool *isnull)
{
	*isnull = false;
	switch (cell.kind) {
	case Cell::Kind::null: *isnull = true; return 0;
	case Cell::Kind::boolean: return BoolGetDatum(cell.flag);
	case Cell::Kind::float8: {
		double v = cell.number;
		return pg_call([&] { return Float8GetDatum(v); });
	}
	case Cell::Kind::int4: return Int32GetDatum(static_cast<int32>(cell.integer));
	case Cell::Kind::int8: {
		int64 v = cell.integer;
		return pg_call([&] { return Int64GetDatum(v); });
	}
	case Cell::Kind::timestamptz: {
		TimestampTz v = cell.integer;
		return pg_call([&] { return TimestampTzGetDatum(v); });
	}
	case Cell::Kind::text: return text_datum(cell.text);
	case Cell::Kind::text_view: {
		const char *data = cell.view.data();
		int len = static_cast<int>(cell.view.size());
		return pg_call([&] { return PointerGetDatum(cstring_to_text_with_len(data, len)); });
	}
	case Cell::Kind::name: {
		const char *s = cell.text.c_str();
		return pg_call([&] { return DirectFunctionCall1(namein, CStringGetDatum(s)); });
	}
	case Cell::Kind::text_array: {
		std::vector<Datum> elems;
		for (const auto &s : cell.list)
			elems.push_back(text_datum(s));
		Datum *data = elems.data();
		int count = static_cast<int>(elems.size());
		return pg_call([&] { return PointerGetDatum(construct_array(data, count, TEXTOID, -1, false, TYPALIGN_INT)); });
	}
	}
	*isnull = true;
	return 0;
}

// The Datum of a cell of any kind but text_array, for code already inside pg_call(): it
// calls PostgreSQL directly and allocates nothing of C++'s (a row of such cells is made in
// one pg_call instead of one per cell).
Datum
plain_cell_datum(const Cell &cell, bool *isnull)
{
	*isnull = false;
	switch (cell.kind) {
	case Cell::Kind::boolean: return BoolGetDatum(cell.flag);
	case Cell::Kind::float8: return Float8GetDatum(cell.number);
	case Cell::Kind::int4: return Int32GetDatum(static_cast<int32>(cell.integer));
	case Cell::Kind::int8: return Int64GetDatum(cell.integer);
	case Cell::Kind::timestamptz: return TimestampTzGetDatum(cell.integer);
	case Cell::Kind::text:
		return PointerGetDatum(cstring_to_text_with_len(cell.text.data(), static_cast<int>(cell.text.size())));
	case Cell::Kind::text_view:
		return PointerGetDatum(cstring_to_text_with_len(cell.view.data(), static_cast<int>(cell.view.size())));
	case Cell::Kind::name: return DirectFunctionCall1(namein, CStringGetDatum(cell.text.c_str()));
	case Cell::Kind::null:
	case Cell::Kind::text_array: break;
	}
	*isnull = true;
	return 0;
}

}  // namespace

RowSink::RowSink(FunctionCallInfo fcinfo, std::size_t newer_columns) : newer_columns_(newer_columns)
{
	struct Sink {
		Tuplestorestate *store;
		TupleDesc desc;
		MemoryContext row_context;
	};
	Sink sink = pg_call([&] {
		ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
		if (rsinfo == nullptr || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			                errmsg("set-valued function called in context that cannot accept a set")));
		MemoryContext per_query = rsinfo->econtext->ecxt_per_query_memory;
		MemoryContext old = MemoryContextSwitchTo(per_query);
		TupleDesc desc;
		if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE) {
			// SETOF a scalar type: a one-column descriptor.
			desc = CreateTemplateTupleDesc(1);
			TupleDescInitEntry(desc, 1, "value", get_fn_expr_rettype(fcinfo->flinfo), -1, 0);
		}
		desc = BlessTupleDesc(desc);
		Tuplestorestate *store = tuplestore_begin_heap(true, false, work_mem);
		rsinfo->returnMode = SFRM_Materialize;
		rsinfo->setResult = store;
		rsinfo->setDesc = desc;
		MemoryContext row_context = AllocSetContextCreate(per_query, "pfm_migrate result row", ALLOCSET_SMALL_SIZES);
		MemoryContextSwitchTo(old);
		return Sink{store, desc, row_context};
	});
	store_ = sink.store;
	desc_ = sink.desc;
	row_context_ = sink.row_context;
	columns_ = static_cast<std::size_t>(sink.desc->natts);
	values_.resize(columns_);
	nulls_.reset(new bool[columns_ + 1]);
}

void
RowSink::put(const Cell *row, std::size_t cells)
{
	if (cells < columns_ || cells > columns_ + newer_columns_)
		internal_error("a result row has " + std::to_string(cells) + " cells for " + std::to_string(columns_) +
		               " columns");
	MemoryContext row_context = row_context_;
	auto *store = static_cast<Tuplestorestate *>(store_);
	auto desc = static_cast<TupleDesc>(desc_);
	Datum *v = values_.data();
	bool *nl = nulls_.get();
	const std::size_t n = columns_;
	// The cells' Datums are palloc'd in the row's context (the tuplestore copies the row).
	if (std::none_of(row, row + n, [](const Cell &c) { return c.kind == Cell::Kind::text_array; })) {
		pg_call([&] {
			MemoryContext caller = MemoryContextSwitchTo(row_context);
			for (std::size_t i = 0; i < n; i++)
				v[i] = plain_cell_datum(row[i], &nl[i]);
			MemoryContextSwitchTo(caller);
			tuplestore_putvalues(store, desc, v, nl);
			MemoryContextReset(row_context);
			CHECK_FOR_INTERRUPTS();
		});
		return;
	}
	MemoryContext caller = MemoryContextSwitchTo(row_context);
	try {
		for (std::size_t i = 0; i < columns_; i++)
			values_[i] = cell_datum(row[i], &nulls_[i]);
	} catch (...) {
		MemoryContextSwitchTo(caller);
		throw;
	}
	MemoryContextSwitchTo(caller);
	pg_call([&] {
		tuplestore_putvalues(store, desc, v, nl);
		MemoryContextReset(row_context);
		CHECK_FOR_INTERRUPTS();
	});
}

Datum
return_rows(FunctionCallInfo fcinfo, const std::vector<ResultRow> &rows, std::size_t newer_columns)
{
	RowSink sink(fcinfo, newer_columns);
	for (const ResultRow &row : rows)
		sink.put(row);
	return sink.result();
}

}  // namespace pfm::pg
