#include <unordered_map>

#include "pg/boundary.hpp"
#include "pg/spi.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
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
	}
	return InvalidOid;
}

// Session-lifetime plan cache keyed by the statement literal; plans are SPI_keepplan'd, and
// PostgreSQL's plan cache re-plans them when the catalog changes underneath.
std::unordered_map<const char *, SPIPlanPtr> plan_cache;

void
check_rc(int rc, const char *sql)
{
	if (rc < 0)
		throw SqlError(ERRCODE_INTERNAL_ERROR, "internal query failed", std::string("SPI result: ") + std::to_string(rc),
		               {}, std::string("internal query: ") + sql);
}

}  // namespace

Spi::Spi()
{
	int rc = pg_call([] { return SPI_connect(); });
	if (rc != SPI_OK_CONNECT)
		throw SqlError(ERRCODE_INTERNAL_ERROR, "could not connect to SPI manager");
}

void
Spi::finish()
{
	pg_call([] { SPI_finish(); });
}

std::uint64_t
Spi::run(const char *sql, const std::vector<Param> &params, bool read_only)
{
	const int nargs = static_cast<int>(params.size());
	std::vector<Oid> types(params.size());
	for (std::size_t i = 0; i < params.size(); i++)
		types[i] = type_of(params[i]);

	SPIPlanPtr plan = nullptr;
	if (auto it = plan_cache.find(sql); it != plan_cache.end())
		plan = it->second;
	if (!plan) {
		Oid *argtypes = types.data();
		plan = pg_call([&] {
			SPIPlanPtr p = SPI_prepare(sql, nargs, argtypes);
			if (p)
				SPI_keepplan(p);
			return p;
		});
		if (!plan)
			check_rc(SPI_result, sql);
		plan_cache[sql] = plan;
	}

	std::vector<Datum> values(params.size());
	std::vector<char> nulls(params.size(), ' ');
	for (std::size_t i = 0; i < params.size(); i++) {
		const Param &p = params[i];
		if (p.isnull) {
			nulls[i] = 'n';
			continue;
		}
		switch (p.kind) {
		case Param::Kind::text: {
			const char *data = p.text.data();
			int len = static_cast<int>(p.text.size());
			values[i] = pg_call([&] { return PointerGetDatum(cstring_to_text_with_len(data, len)); });
			break;
		}
		case Param::Kind::text_array: {
			std::vector<const char *> items;
			std::vector<int> lens;
			for (const auto &s : p.list) {
				items.push_back(s.data());
				lens.push_back(static_cast<int>(s.size()));
			}
			const char **item_data = items.data();
			const int *item_lens = lens.data();
			int count = static_cast<int>(items.size());
			values[i] = pg_call([&] {
				Datum *elems = static_cast<Datum *>(palloc(sizeof(Datum) * (count > 0 ? count : 1)));
				for (int k = 0; k < count; k++)
					elems[k] = PointerGetDatum(cstring_to_text_with_len(item_data[k], item_lens[k]));
				return PointerGetDatum(construct_array(elems, count, TEXTOID, -1, false, TYPALIGN_INT));
			});
			break;
		}
		case Param::Kind::boolean: values[i] = BoolGetDatum(p.flag); break;
		case Param::Kind::float8: {
			double v = p.number;
			values[i] = pg_call([&] { return Float8GetDatum(v); });
			break;
		}
		case Param::Kind::float8_array: {
			const double *numbers = p.numbers.data();
			int count = static_cast<int>(p.numbers.size());
			values[i] = pg_call([&] {
				Datum *elems = static_cast<Datum *>(palloc(sizeof(Datum) * (count > 0 ? count : 1)));
				for (int k = 0; k < count; k++)
					elems[k] = Float8GetDatum(numbers[k]);
				return PointerGetDatum(construct_array(elems, count, FLOAT8OID, sizeof(double), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
			});
			break;
		}
		}
	}
	Datum *value_ptr = values.data();
	const char *null_ptr = nulls.data();
	int rc = pg_call([&] { return SPI_execute_plan(plan, value_ptr, null_ptr, read_only, 0); });
	check_rc(rc, sql);
	return SPI_processed;
}

Text
Spi::text(std::uint64_t row, int column) const
{
	struct Ref {
		const char *data;
		int len;
		bool isnull;
	};
	Ref ref = pg_call([&] {
		bool isnull = false;
		Datum d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, &isnull);
		if (isnull)
			return Ref{nullptr, 0, true};
		if (SPI_gettypeid(SPI_tuptable->tupdesc, column) == TEXTOID) {
			struct varlena *t = PG_DETOAST_DATUM_PACKED(d);
			return Ref{VARDATA_ANY(t), static_cast<int>(VARSIZE_ANY_EXHDR(t)), false};
		}
		char *s = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column);
		return Ref{s, static_cast<int>(strlen(s)), false};
	});
	if (ref.isnull)
		return std::nullopt;
	return std::string(ref.data, static_cast<std::size_t>(ref.len));
}

std::vector<Text>
Spi::texts(std::uint64_t row) const
{
	struct Ref {
		const char *data;
		int len;
		bool isnull;
	};
	constexpr int max_columns = 16;
	Ref refs[max_columns];
	int ncols = pg_call([&] {
		TupleDesc desc = SPI_tuptable->tupdesc;
		int n = desc->natts < max_columns ? desc->natts : max_columns;
		Datum values[max_columns];
		bool nulls[max_columns];
		heap_deform_tuple(SPI_tuptable->vals[row], desc, values, nulls);
		for (int i = 0; i < n; i++) {
			if (nulls[i] || TupleDescAttr(desc, i)->atttypid != TEXTOID) {
				refs[i] = Ref{nullptr, 0, true};
				continue;
			}
			struct varlena *t = PG_DETOAST_DATUM_PACKED(values[i]);
			refs[i] = Ref{VARDATA_ANY(t), static_cast<int>(VARSIZE_ANY_EXHDR(t)), false};
		}
		return n;
	});
	std::vector<Text> out;
	out.reserve(static_cast<std::size_t>(ncols));
	for (int i = 0; i < ncols; i++)
		out.push_back(refs[i].isnull ? Text() : Text(std::string(refs[i].data, static_cast<std::size_t>(refs[i].len))));
	return out;
}

std::string
Spi::text_or(std::uint64_t row, int column, const char *fallback) const
{
	Text t = text(row, column);
	return t ? *t : std::string(fallback);
}

bool
Spi::boolean(std::uint64_t row, int column) const
{
	return pg_call([&] {
		bool isnull = false;
		Datum d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, &isnull);
		return !isnull && DatumGetBool(d);
	});
}

}  // namespace pfm::pg
