// A subtransaction around a region of C++ code. After a PgError was caught inside it,
// rollback() is the one PostgreSQL call allowed before the error is handled or rethrown:
// it is how PostgreSQL itself recovers from an error (plpgsql's exception blocks), and it
// leaves the transaction clean for what comes next (a failed audit row, a retry).
#pragma once

#include <exception>
#include <utility>

namespace pfm::pg {

class Subtransaction {
public:
	Subtransaction();  // BeginInternalSubTransaction; the caller's memory context and resource owner stay current
	void commit();     // ReleaseCurrentSubTransaction
	void rollback();   // RollbackAndReleaseCurrentSubTransaction
	Subtransaction(const Subtransaction &) = delete;
	Subtransaction &operator=(const Subtransaction &) = delete;

private:
	void *context_;
	void *owner_;
	bool open_ = true;
	void restore();
};

// Runs f in a subtransaction: committed when f returns, rolled back when it throws (the
// exception then goes on, with the transaction as it was before f).
template <typename F>
void
in_subtransaction(F &&f)
{
	Subtransaction sub;
	std::exception_ptr failure;
	try {
		std::forward<F>(f)();
	} catch (...) {
		failure = std::current_exception();
	}
	if (failure) {
		sub.rollback();
		std::rethrow_exception(failure);
	}
	sub.commit();
}

}  // namespace pfm::pg
