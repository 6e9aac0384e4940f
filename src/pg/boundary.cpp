// The out-of-line half of the error boundary: running a body with every C++ exception
// caught, raising the recorded failure, call nesting and the failed-call LOG line.
#include <cstdio>
#include <exception>
#include <new>

#include "pg/boundary.hpp"

extern "C" {
#include "utils/acl.h"
#include "utils/guc.h"
}

namespace pfm::pg {

namespace {
// Plain data only: read by guarded() after the call's C++ objects are gone.
int depth = 0;
char remembered_call[512];
char remembered_users[2 * NAMEDATALEN + 64];
bool remembered_per_revision = false;
}  // namespace

int
nesting_depth()
{
	return depth;
}

void
remember_call(const char *description, bool per_revision)
{
	if (depth != 1)
		return;  // a nested call (a trigger inside a migration) never renames the outer call
	strlcpy(remembered_call, description, sizeof remembered_call);
	remembered_per_revision = per_revision;
	pg_call([] {
		const char *current = GetUserNameFromId(GetUserId(), true);
		const char *session = GetUserNameFromId(GetSessionUserId(), true);
		snprintf(remembered_users, sizeof remembered_users, "user \"%s\" (session user \"%s\")",
		         current ? current : "?", session ? session : "?");
	});
}

namespace detail {

int
enter_call()
{
	if (depth == 0)
		remembered_call[0] = '\0';
	return depth++;
}

void
leave_call(int outer_depth)
{
	depth = outer_depth;
	if (depth == 0)
		remembered_call[0] = '\0';
}

Datum
run_body(SqlFunctionBody body, FunctionCallInfo fcinfo, Failure &failure) noexcept
{
	try {
		return body(fcinfo);
	} catch (const PgError &e) {
		failure.pg_error = e.data;
	} catch (const SqlError &e) {
		failure.sqlstate = e.sqlstate;
		copy_text(failure.message, sizeof failure.message, e.message.c_str());
		copy_text(failure.detail, sizeof failure.detail, e.detail.c_str());
		copy_text(failure.hint, sizeof failure.hint, e.hint.c_str());
		copy_text(failure.context, sizeof failure.context, e.context.c_str());
	} catch (const core::Error &e) {
		failure.sqlstate = sqlstate_for(e.kind);
		copy_text(failure.message, sizeof failure.message, e.what());
		copy_text(failure.detail, sizeof failure.detail, e.detail.c_str());
		copy_text(failure.hint, sizeof failure.hint, e.hint.c_str());
		failure.context[0] = '\0';
	} catch (const std::bad_alloc &) {
		failure.sqlstate = ERRCODE_OUT_OF_MEMORY;
		copy_text(failure.message, sizeof failure.message, "out of memory");
	} catch (const std::exception &e) {
		copy_text(failure.message, sizeof failure.message, "internal error in pfm_migrate: ", e.what());
	} catch (...) {
		copy_text(failure.message, sizeof failure.message, "internal error in pfm_migrate: unknown C++ exception");
	}
	failure.failed = true;
	return 0;
}

void
log_failed_call(const char *error_message)
{
	if (remembered_call[0] == '\0')
		return;
	// A pending cancel or timeout must not be processed here (errfinish checks for
	// interrupts after a LOG): it would replace the error guarded() is about to rethrow.
	HOLD_INTERRUPTS();
	ereport(LOG, (errmsg("pfm_migrate: %s by %s failed: %s", remembered_call, remembered_users,
	                     error_message ? error_message : "(no message)"),
	              errdetail("Application \"%s\", backend pid %d; %s", application_name ? application_name : "", MyProcPid,
	                        remembered_per_revision
	                            ? "the revisions before the failing one stay applied, and the audit log records the failure."
	                            : "the call rolled back and left no audit row.")));
	RESUME_INTERRUPTS();
	remembered_call[0] = '\0';
}

void
raise(Failure &f)
{
	if (f.pg_error)
		ReThrowError(f.pg_error);
	ereport(ERROR, (errcode(f.sqlstate), errmsg_internal("%s", f.message),
	                f.detail[0] ? errdetail_internal("%s", f.detail) : 0, f.hint[0] ? errhint("%s", f.hint) : 0,
	                f.context[0] ? (errcontext("%s", f.context)) : 0));
	pg_unreachable();
}

}  // namespace detail

}  // namespace pfm::pg
