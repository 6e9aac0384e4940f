// GUC-backed settings (defined in src/module.cpp).
#pragma once

namespace pfm::pg {
extern int lock_timeout_ms;   // pfm_migrate.lock_timeout; 0 = wait forever
extern bool log_statements;   // pfm_migrate.log_statements
}  // namespace pfm::pg
