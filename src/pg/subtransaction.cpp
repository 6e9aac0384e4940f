#include "pg/subtransaction.hpp"

#include "pg/boundary.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/resowner.h"
}

namespace pfm::pg {

Subtransaction::Subtransaction() : context_(CurrentMemoryContext), owner_(CurrentResourceOwner)
{
	void *context = context_;
	pg_call([context] {
		BeginInternalSubTransaction(nullptr);
		MemoryContextSwitchTo(static_cast<MemoryContext>(context));
	});
}

void
Subtransaction::restore()
{
	MemoryContextSwitchTo(static_cast<MemoryContext>(context_));
	CurrentResourceOwner = static_cast<ResourceOwner>(owner_);
}

void
Subtransaction::commit()
{
	if (!open_)
		return;
	open_ = false;
	pg_call([] { ReleaseCurrentSubTransaction(); });
	restore();
}

void
Subtransaction::rollback()
{
	if (!open_)
		return;
	open_ = false;
	pg_call([] { RollbackAndReleaseCurrentSubTransaction(); });
	restore();
}

}  // namespace pfm::pg
