// THE C++ <-> PostgreSQL error boundary. The only file that mixes try/catch with PG_TRY.
//
//  1. Every SQL-callable function (and the background worker's entry point) is defined with
//     PFM_SQL_FUNCTION(name) / run inside guarded(), which catches every C++ exception
//     inside its PG_TRY and raises ereport(ERROR) -- or rethrows a captured PostgreSQL
//     error unchanged -- only after the catch block has ended, so no C++ object is alive
//     when PostgreSQL longjmps.
//  2. While a C++ object with a destructor is alive between guarded() and a PostgreSQL call
//     that may ereport, that call runs inside pg_call(), which turns the ERROR into a C++
//     PgError holding the copied ErrorData (SQLSTATE, detail, hint, context, position kept).
//     pg_call() catches a C++ exception thrown by its lambda inside the PG_TRY and rethrows
//     it after PG_END_TRY; the lambda's captures and result must need no destructor
//     (checked at compile time), because a longjmp skips the lambda's frame.
//  3. After a PgError is caught, no PostgreSQL work happens until guarded() rethrows it.
//  4. Destructors never call PostgreSQL.
//  5. C++ code that PostgreSQL calls back (a DestReceiver fed by the executor) runs inside
//     in_callback(): nothing unwinds through PostgreSQL's frames; a PgError is raised again
//     unchanged, a C++ exception is kept for the caller to rethrow once PostgreSQL returned.
#pragma once

// C++ standard headers before postgres.h: port.h renames printf & co, c.h defines Min/Max/_.
// (scripts/check-includes.sh fails the build when a file includes one after it.)
// Everything the glue's headers use is included here, so no header of src/pg pulls one in
// after a file has included this one.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/errors.hpp"

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "miscadmin.h"
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

// An invariant of the extension's own code broke (a bug): XX000 with this message.
[[noreturn]] inline void
internal_error(std::string message)
{
	throw SqlError(ERRCODE_INTERNAL_ERROR, "internal error in pfm_migrate: " + std::move(message));
}

// src/pg/error_map.cpp: the one place a core error kind gets its SQLSTATE.
int sqlstate_for(core::ErrorKind kind);

// The outermost guarded call's description, for the LOG line a failed state-changing call
// leaves (src/module.cpp). remember_call() is ignored in nested calls, so an inner call
// never renames the outer one.
void remember_call(const char *description, bool per_revision = false);

namespace detail {

// Runs f() and stores a C++ exception it throws instead of letting it unwind; noexcept, so
// nothing can leave a PG_TRY block through it.
template <typename F>
void
invoke_catching(F &f, std::exception_ptr &thrown) noexcept
{
	try {
		f();
	} catch (...) {
		thrown = std::current_exception();
	}
}

template <typename T>
constexpr bool needs_no_destructor = std::is_trivially_destructible_v<T>;

}  // namespace detail

// Runs f (PostgreSQL calls on plain data) and turns a PostgreSQL ERROR into PgError.
template <typename F>
auto
pg_call(F &&f) -> decltype(f())
{
	using Result = decltype(f());
	static_assert(detail::needs_no_destructor<std::decay_t<F>>,
	              "pg_call: capture only plain data or references (a longjmp skips the lambda's frame)");
	if constexpr (std::is_void_v<Result>) {
		MemoryContext caller_context = CurrentMemoryContext;
		ErrorData *volatile error = nullptr;
		std::exception_ptr thrown;
		PG_TRY();
		{
			detail::invoke_catching(f, thrown);
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
		if (thrown)
			std::rethrow_exception(thrown);
	} else {
		static_assert(detail::needs_no_destructor<Result> && std::is_trivially_copyable_v<Result>,
		              "pg_call: the result must be plain data (no destructor)");
		// The result lives outside the setjmp frame, so a longjmp cannot clobber it.
		Result result{};
		Result *out = &result;
		pg_call([out, &f] { *out = f(); });
		return result;
	}
}

// Runs f, C++ code called back from PostgreSQL (the executor feeding a DestReceiver), so that
// nothing unwinds through PostgreSQL's frames. Returns true when f completed. A C++ exception
// is stored in `failure` (false returned: the callback tells PostgreSQL to stop, and whoever
// started PostgreSQL's loop rethrows it after that returned). A PostgreSQL error f caught
// through pg_call() is raised again at once, unchanged, after the catch block has ended: the
// PostgreSQL work that called back must not go on after an ERROR.
template <typename F>
bool
in_callback(F &&f, std::exception_ptr &failure)
{
	ErrorData *pg_error = nullptr;
	bool done = false;
	try {
		f();
		done = true;
	} catch (const PgError &e) {
		pg_error = e.data;
	} catch (...) {
		failure = std::current_exception();
	}
	if (pg_error)
		ReThrowError(pg_error);
	return done;
}

using SqlFunctionBody = Datum (*)(FunctionCallInfo);

namespace detail {

// How a guarded call failed, in fixed buffers: the catch blocks must not call PostgreSQL.
struct Failure {
	bool failed = false;
	ErrorData *pg_error = nullptr;
	int sqlstate = ERRCODE_INTERNAL_ERROR;
	char message[1024] = "", detail[2048] = "", hint[1024] = "", context[1024] = "";
};

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

// Runs the body; every C++ exception is recorded in `failure`. Defined in boundary.cpp.
Datum run_body(SqlFunctionBody body, FunctionCallInfo fcinfo, Failure &failure) noexcept;

// Call nesting (src/module.cpp): enter_call() returns the depth before the call.
int enter_call();
void leave_call(int depth);
// The LOG line of a failed outermost state-changing call; emitted with interrupts held so
// that a pending cancel cannot replace the error being rethrown.
void log_failed_call(const char *error_message);

[[noreturn]] void raise(Failure &failure);

}  // namespace detail

// How many guarded() calls are active in this backend (1 = the outermost).
int nesting_depth();

// Runs a SQL function body; every C++ exception becomes a PostgreSQL ERROR after the
// C++ objects are gone. A PostgreSQL error that passes through (one raised outside
// pg_call) still restores the nesting depth before it goes on.
inline Datum
guarded(SqlFunctionBody body, FunctionCallInfo fcinfo)
{
	detail::Failure failure;
	const int depth = detail::enter_call();
	ErrorContextCallback *const context_at_entry = error_context_stack;
	Datum result = 0;
	PG_TRY();
	{
		sigjmp_buf *const own_frame = PG_exception_stack;
		result = detail::run_body(body, fcinfo, failure);
		// Whatever ran must have left the error stacks as it found them: a dangling
		// PG_exception_stack makes the next ereport jump into a dead frame.
		if (PG_exception_stack != own_frame || error_context_stack != context_at_entry) {
			PG_exception_stack = own_frame;
			error_context_stack = context_at_entry;
			if (!failure.failed) {
				failure.failed = true;
				failure.sqlstate = ERRCODE_INTERNAL_ERROR;
				detail::copy_text(failure.message, sizeof failure.message,
				                  "internal error in pfm_migrate: the error stack was left pointing at a finished call");
				failure.detail[0] = failure.hint[0] = failure.context[0] = '\0';
			}
		}
	}
	PG_CATCH();
	{
		detail::leave_call(depth);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (!failure.failed) {
		detail::leave_call(depth);
		return result;
	}
	// No C++ object is alive past this point.
	if (depth == 0)
		detail::log_failed_call(failure.pg_error ? failure.pg_error->message : failure.message);
	detail::leave_call(depth);
	detail::raise(failure);
}

}  // namespace pfm::pg

// Defines a SQL-callable function NAME whose C++ body follows the macro.
#define PFM_SQL_FUNCTION(name)                                                                                         \
	static Datum name##_body(FunctionCallInfo fcinfo);                                                                 \
	extern "C" {                                                                                                       \
	PGDLLEXPORT Datum name(PG_FUNCTION_ARGS);                                                                          \
	PG_FUNCTION_INFO_V1(name);                                                                                         \
	Datum name(PG_FUNCTION_ARGS) { return ::pfm::pg::guarded(name##_body, fcinfo); }                                   \
	}                                                                                                                  \
	static Datum name##_body(FunctionCallInfo fcinfo)
