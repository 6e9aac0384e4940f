// THE C++ <-> PostgreSQL error boundary. The only file that mixes try/catch with PG_TRY.
//
//  1. Every SQL-callable function is defined with PFM_SQL_FUNCTION(name): extern "C" +
//     PG_FUNCTION_INFO_V1, and its body runs inside guarded(), which catches every C++
//     exception. guarded() raises ereport(ERROR) -- or rethrows a captured PostgreSQL error
//     unchanged -- only after the catch block has ended, so no C++ object is alive when
//     PostgreSQL longjmps.
//  2. While a C++ object with a destructor is alive between guarded() and a PostgreSQL call
//     that may ereport, that call runs inside pg_call(), which turns the ERROR into a C++
//     PgError holding the copied ErrorData (SQLSTATE, detail, hint, context, position kept).
//     Lambdas given to pg_call() hold only plain data: a longjmp skips their frames.
//  3. After a PgError is caught, no PostgreSQL work happens until guarded() rethrows it.
//  4. Destructors never call PostgreSQL.
#pragma once

// C++ standard headers before postgres.h: port.h renames printf & co, c.h defines Min/Max/_.
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

#include "core/errors.hpp"

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}

namespace pfm::pg {

// A PostgreSQL ERROR caught by pg_call(), carried up to guarded() to be rethrown unchanged.
struct PgError : std::exception {
	ErrorData *data;
	explicit PgError(ErrorData *d) : data(d) {}
	const char *what() const noexcept override { return data && data->message ? data->message : "PostgreSQL error"; }
};

// An error raised by the extension's C++ code, reported with this SQLSTATE.
struct SqlError : std::exception {
	int sqlstate;
	std::string message, detail, hint, context;
	SqlError(int code, std::string msg, std::string det = {}, std::string hnt = {}, std::string ctx = {})
		: sqlstate(code), message(std::move(msg)), detail(std::move(det)), hint(std::move(hnt)), context(std::move(ctx))
	{
	}
	const char *what() const noexcept override { return message.c_str(); }
};

// src/pg/error_map.cpp: the one place a core error kind gets its SQLSTATE.
int sqlstate_for(core::ErrorKind kind);

// Set by a state-changing call so that a failure leaves a LOG line naming who tried what.
void remember_call(const char *description);
void log_failed_call(const char *error_message);
void forget_call();

// Runs f (PostgreSQL calls only, plain data only) and turns a PostgreSQL ERROR into PgError.
template <typename F>
auto
pg_call(F &&f) -> decltype(f())
{
	using Result = decltype(f());
	MemoryContext caller_context = CurrentMemoryContext;
	ErrorData *volatile error = nullptr;
	if constexpr (std::is_void_v<Result>) {
		PG_TRY();
		{
			f();
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(caller_context);
			error = CopyErrorData();
			FlushErrorState();
		}
		PG_END_TRY();
		if (error)
			throw PgError(error);
	} else {
		// The result lives outside the setjmp frame, so a longjmp cannot clobber it.
		Result result{};
		pg_call([&] { result = f(); });
		return result;
	}
}

namespace detail {
// Copies prefix + text into a fixed buffer, truncating; never allocates.
inline void
copy_text(char *dst, std::size_t size, const char *prefix, const char *text = "") noexcept
{
	std::size_t used = 0;
	for (const char *part : {prefix, text})
		for (const char *p = part; *p && used + 1 < size; p++)
			dst[used++] = *p;
	dst[used] = '\0';
}
}  // namespace detail

using SqlFunctionBody = Datum (*)(FunctionCallInfo);

// How many guarded() calls are active in this backend (one instance across the module).
inline int &
nesting_depth()
{
	static int depth = 0;
	return depth;
}

// Runs a SQL function body; every C++ exception becomes a PostgreSQL ERROR after the
// C++ objects are gone.
inline Datum
guarded(SqlFunctionBody body, FunctionCallInfo fcinfo)
{
	ErrorData *pg_error = nullptr;
	int sqlstate = ERRCODE_INTERNAL_ERROR;
	// Fixed buffers: the catch blocks must not call PostgreSQL (palloc may longjmp).
	char message[1024], detail[2048], hint[1024], context[1024];
	message[0] = detail[0] = hint[0] = context[0] = '\0';

	// Our SQL functions nest (a trigger inside a migration calls one): only the outermost
	// call owns the remembered description of what is being tried.
	const int depth = nesting_depth()++;
	if (depth == 0)
		forget_call();
	try {
		Datum result = body(fcinfo);
		nesting_depth() = depth;
		if (depth == 0)
			forget_call();
		return result;
	} catch (const PgError &e) {
		pg_error = e.data;
	} catch (const SqlError &e) {
		sqlstate = e.sqlstate;
		detail::copy_text(message, sizeof message, e.message.c_str());
		detail::copy_text(detail, sizeof detail, e.detail.c_str());
		detail::copy_text(hint, sizeof hint, e.hint.c_str());
		detail::copy_text(context, sizeof context, e.context.c_str());
	} catch (const core::Error &e) {
		sqlstate = sqlstate_for(e.kind);
		detail::copy_text(message, sizeof message, e.what());
		detail::copy_text(detail, sizeof detail, e.detail.c_str());
		detail::copy_text(hint, sizeof hint, e.hint.c_str());
	} catch (const std::bad_alloc &) {
		sqlstate = ERRCODE_OUT_OF_MEMORY;
		detail::copy_text(message, sizeof message, "out of memory");
	} catch (const std::exception &e) {
		detail::copy_text(message, sizeof message, "internal error in pfm_migrate: ", e.what());
	} catch (...) {
		detail::copy_text(message, sizeof message, "internal error in pfm_migrate: unknown C++ exception");
	}

	// No C++ object is alive past this point.
	nesting_depth() = depth;
	if (depth == 0)
		log_failed_call(pg_error ? pg_error->message : message);
	if (pg_error)
		ReThrowError(pg_error);
	ereport(ERROR, (errcode(sqlstate), errmsg_internal("%s", message),
	                detail[0] ? errdetail_internal("%s", detail) : 0, hint[0] ? errhint("%s", hint) : 0,
	                context[0] ? (errcontext("%s", context)) : 0));
	pg_unreachable();
}

}  // namespace pfm::pg

// Defines a SQL-callable function NAME whose C++ body follows the macro.
#define PFM_SQL_FUNCTION(name)                                                                                         \
	static Datum name##_body(FunctionCallInfo fcinfo);                                                                 \
	extern "C" {                                                                                                       \
	PG_FUNCTION_INFO_V1(name);                                                                                         \
	Datum name(PG_FUNCTION_ARGS) { return ::pfm::pg::guarded(name##_body, fcinfo); }                                   \
	}                                                                                                                  \
	static Datum name##_body(FunctionCallInfo fcinfo)
