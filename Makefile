# PGXS build of the pfm_migrate module (C++17). CMake builds and unit-tests the pure core
# and drives these same suites; this Makefile is the familiar install path.
EXTENSION   = pfm_migrate
EXTVERSION  = $(shell grep -oP "default_version\s*=\s*'\K[^']+" $(EXTENSION).control)
MODULE_big  = pfm_migrate

CORE_SRCS   = $(sort $(wildcard src/core/*.cpp))
GLUE_SRCS   = $(sort $(wildcard src/pg/*.cpp src/api/*.cpp src/*.cpp))
OBJS        = $(CORE_SRCS:.cpp=.o) $(GLUE_SRCS:.cpp=.o)

# Every install and upgrade script (pfm_migrate--X.sql, pfm_migrate--X--Y.sql): ALTER EXTENSION
# ... UPDATE needs the upgrade scripts installed beside the default version's install script.
DATA        = $(sort $(wildcard $(EXTENSION)--*.sql))

REGRESS     = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --outputdir=. --load-extension=plpgsql
ISOLATION   = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --inputdir=. --outputdir=output_iso

PG_CXXFLAGS += -std=c++17 -Wall -Wextra -Wno-unused-parameter -Wno-register -Wno-missing-field-initializers
PG_CPPFLAGS += -Isrc
# The library knows the version it belongs to (pfm_migrate.file_set_loaded compares it).
PG_CPPFLAGS += -DPFM_EXTENSION_VERSION='"$(EXTVERSION)"'
# PGXS adds COPT (e.g. COPT=-Werror from scripts/test.sh) to the C flags only.
PG_CXXFLAGS += $(COPT)
# Only what PostgreSQL looks up is exported (as PostgreSQL 16 builds modules): the SQL
# functions, their info records, the module magic, _PG_init, the worker's entry point. A
# new session's first call loads the library: with 636 exported C++ symbols that took
# 1.2 ms, with these (and libstdc++ templates, about 145 in all) about 0.7 ms.
PG_CXXFLAGS += -fvisibility=hidden -fvisibility-inlines-hidden
PG_CPPFLAGS += "-DPGDLLEXPORT=__attribute__((visibility(\"default\")))"
SHLIB_LINK  += -lstdc++
EXTRA_CLEAN += results regression.diffs regression.out output_iso tmp_check

# SANITIZE=1: an ASan + UBSan build, loaded into a server that preloads libasan (test/sanitize/server.sh).
ifdef SANITIZE
PG_CXXFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SHLIB_LINK  += -fsanitize=address,undefined
endif

# PGXS would also compile every .cpp to LLVM bitcode with clang, ignoring PG_CXXFLAGS
# (so as C++14): JIT inlining of this module is worthless, so switch that step off.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The core must stay free of PostgreSQL headers: fail the build if one slips in.
src/core/%.o: src/core/%.cpp
	$(CXX) $(CXXFLAGS) -Isrc -c -o $@ $<

# Header dependencies (PostgreSQL's autodepend is off in Debian's build).
DEPFLAGS = -MMD -MP
override CXXFLAGS += $(DEPFLAGS)
-include $(OBJS:.o=.d)
EXTRA_CLEAN += $(OBJS:.o=.d)

.PHONY: prove
prove:
	pg_prove --ext .sql -r test/pgtap

# The Debian package, built in a clean copy of the tree; prints the path of the .deb.
.PHONY: deb
deb:
	scripts/build-deb.sh

# scripts/deploy.sh's compiled fast path (src/client/deploy_fast.cpp): a libpq client, not part
# of the module; deploy.sh uses it when it is built. libstdc++ is linked in statically: one
# shared library less to load per deploy command.
PFM_CLIENT  = bin/pfm_deploy_fast
all: $(PFM_CLIENT)
$(PFM_CLIENT): src/client/deploy_fast.cpp
	@mkdir -p bin
	$(CXX) -std=c++17 -O2 -Wall -Wextra $(COPT) -I$(shell $(PG_CONFIG) --includedir) -o $@ $< \
		-L$(shell $(PG_CONFIG) --libdir) -lpq -pthread -static-libstdc++ -static-libgcc
EXTRA_CLEAN += bin
