# ntrace — top-level build (GNU make only).
#
#   make            build everything into build/
#   make test       build, then run every test under tests/ ("N passed, N failed")
#   make SAN=1 ...  the same with ASan+UBSan, into build-san/
#   make test VALGRIND=1   test binaries under valgrind
#   make demo       the first thing a newcomer runs
#   make bench      benchmarks (never part of make test)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Layout: every src/<mod>/*.c except *_main.c is archived into
# $(BUILD)/lib/libnt_<mod>.a; a module's binaries, shared objects and
# fixtures come from its own src/<mod>/module.mk.  Tests are
# tests/<mod>/test_*.c, each linked into its own cmocka binary.
# Benchmarks are bench/bench_*.c.  Adding a module or a test needs no edit here.

CUDA_HOME ?= /usr/local/cuda
PREFIX    ?= /usr/local
DESTDIR   ?=
SAN       ?= 0
BUILD     ?= $(if $(filter 1,$(SAN)),build-san,build)
NVCC      ?= $(CUDA_HOME)/bin/nvcc
PTXAS     ?= $(CUDA_HOME)/bin/ptxas
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)

NT_VERSION := 0.1.0

CC ?= cc
# Quiet build lines ("CC src/x.c"); make V=1 shows the full commands.
ifeq ($(V),1)
  Q_CC :=
  Q_LD :=
  Q_AR :=
else
  Q_CC = @echo "  CC    $<";
  Q_LD = @echo "  LD    $@";
  Q_AR = @echo "  AR    $@";
endif
# Our own code: strict.  Unused parameters are allowed: CUPTI and driver
# callbacks have fixed signatures.  Format truncation is checked where it
# matters (snprintf return values), not by the heuristic warning.
NT_WARN   := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wvla \
             -Wno-format-truncation
NT_CFLAGS := -std=gnu11 -O2 -g -fPIC -fvisibility=hidden $(NT_WARN)
NT_CPPFLAGS := -Isrc -I$(CUDA_HOME)/include -I/usr/include/lua5.4 \
               -DNT_VERSION='"$(NT_VERSION)"' -D_GNU_SOURCE -MMD -MP
NT_LDFLAGS :=

ifeq ($(FUZZ),1)
  # libFuzzer build (make fuzz): clang, sanitizers on all of our code.
  CC         := clang
  NT_CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=undefined -Wno-unknown-warning-option
  NT_LDFLAGS += -fsanitize=address,undefined
endif

ifeq ($(SAN),1)
  NT_CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=undefined
  NT_LDFLAGS += -fsanitize=address,undefined
endif

# Third-party libraries are linked statically where Debian ships a PIC
# archive, so build/ can be carried to a machine without the -dev packages.
DEP_LIBS := -Wl,-Bstatic -llua5.4 -lsqlite3 -lelf -lz -lzstd -llz4 \
            -Wl,-Bdynamic -lm -ldl -lpthread
TEST_LIBS := -lcmocka

# --- dependencies --------------------------------------------------------
# mk/deps.sh checks every dependency, installs what is missing with apt-get
# when run as root, and otherwise names the missing package and stops.
DEPS_STAMP := $(BUILD)/.deps-ok
$(DEPS_STAMP): mk/deps.sh
	@CUDA_HOME=$(CUDA_HOME) sh mk/deps.sh
	@mkdir -p $(@D) && touch $@

# --- modules -------------------------------------------------------------
MODULES := $(sort $(patsubst src/%/,%,$(dir $(wildcard src/*/*.c))))

define module_rules
$(1)_SRCS := $$(filter-out %_main.c,$$(wildcard src/$(1)/*.c))
$(1)_OBJS := $$(patsubst src/%.c,$(BUILD)/obj/%.o,$$($(1)_SRCS))
$(BUILD)/lib/libnt_$(1).a: $$($(1)_OBJS)
	@mkdir -p $$(@D)
	@rm -f $$@
	$$(Q_AR)$$(AR) rcs $$@ $$^
NT_ARCHIVES += $$(if $$($(1)_OBJS),$(BUILD)/lib/libnt_$(1).a)
endef
$(foreach m,$(MODULES),$(eval $(call module_rules,$(m))))

# Link line for executables that use our modules.
NT_LINK := -Wl,--start-group $(NT_ARCHIVES) -Wl,--end-group $(DEP_LIBS)

# Link line for shared objects (the injector, the emulator's libcuda):
# Debian's liblua5.4.a and libelf.a are not PIC, so those two are linked
# dynamically and $(BUILD)/lib carries copies of their runtime libraries,
# found through $ORIGIN, so build/ still runs on a machine without them.
# -Bsymbolic lets the PIE-built static archives bind their own symbols.
SO_DEP_LIBS := -Wl,-Bsymbolic -Wl,--exclude-libs,ALL \
               -Wl,-Bstatic -lsqlite3 -lzstd -llz4 -lz -Wl,-Bdynamic \
               -llua5.4 -lelf -lm -ldl -lpthread \
               -Wl,-rpath,'$$ORIGIN' -Wl,-rpath,'$$ORIGIN/../lib'
# $(call so_link,mod1 mod2 ...) links those module archives and nothing
# else: a shared object must not carry another module's exported ABI
# (the emulator's cuXxx inside the injector would be a second driver).
so_link = -Wl,--start-group $(foreach m,$(1),$(BUILD)/lib/libnt_$(m).a) -Wl,--end-group $(SO_DEP_LIBS)
RUNTIME_LIBS := $(BUILD)/lib/liblua5.4.so.0 $(BUILD)/lib/libelf.so.1
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
$(BUILD)/lib/liblua5.4.so.0 $(BUILD)/lib/libelf.so.1: | $(DEPS_STAMP)
	@mkdir -p $(@D)
	cp -L /usr/lib/$(MULTIARCH)/$(@F) $@

$(BUILD)/obj/%.o: src/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q_CC)$(CC) $(NT_CPPFLAGS) $(NT_CFLAGS) $(CFLAGS) -c $< -o $@

# --- tests ---------------------------------------------------------------
TEST_SRCS := $(sort $(wildcard tests/*/test_*.c))
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

$(BUILD)/obj/tests/%.o: tests/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q_CC)$(CC) $(NT_CPPFLAGS) -Itests $(NT_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(NT_ARCHIVES)
	@mkdir -p $(@D)
	$(Q_LD)$(CC) $(NT_LDFLAGS) $(LDFLAGS) -o $@ $< $(NT_LINK) $(TEST_LIBS)

# --- benchmarks ----------------------------------------------------------
BENCH_SRCS := $(sort $(wildcard bench/bench_*.c))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

$(BUILD)/obj/bench/%.o: bench/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q_CC)$(CC) $(NT_CPPFLAGS) -Ibench $(NT_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(NT_ARCHIVES)
	@mkdir -p $(@D)
	$(Q_LD)$(CC) $(NT_LDFLAGS) $(LDFLAGS) -o $@ $< $(NT_LINK)

# --- fuzzing -------------------------------------------------------------
# tests/<mod>/fuzz_*.c define LLVMFuzzerTestOneInput.  `make fuzz` builds
# them with clang into build-fuzz/ and runs each for FUZZ_SECONDS, seeded
# from tests/<mod>/fuzz_<name>.seeds/ when that folder exists; crashes are
# left in build-fuzz/crashes/ and the sanitizer's report is printed.
# FUZZ_SEED fixes libFuzzer's random seed, so CI explores the same inputs
# each time for the same code (FUZZ_SEED=0: a new seed each run).
FUZZ_SECONDS ?= 60
FUZZ_SEED ?= 1
FUZZ_SRCS := $(sort $(wildcard tests/*/fuzz_*.c))
FUZZ_BINS := $(patsubst tests/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

$(BUILD)/fuzz/%: $(BUILD)/obj/tests/%.o $(NT_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(NT_LDFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(NT_LINK)

fuzz-run: $(FUZZ_BINS) $(TEST_DEPS)
	@mkdir -p $(BUILD)/crashes
	@for f in $(FUZZ_BINS); do \
	  n=$$(basename $$f); src=tests/$${f#$(BUILD)/fuzz/}; \
	  seeds=$${src}.seeds; corpus=$(BUILD)/corpus/$$n; mkdir -p $$corpus; \
	  echo "== fuzz $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -seed=$(FUZZ_SEED) \
	      -artifact_prefix=$(BUILD)/crashes/$$n- \
	      $$corpus $$( [ -d $$seeds ] && echo $$seeds ) > $(BUILD)/fuzz/$$n.log 2>&1; \
	  rc=$$?; tail -n 3 $(BUILD)/fuzz/$$n.log; \
	  [ $$rc = 0 ] || { sed -n '/^fuzz_[a-z_]*: \|runtime error\|ERROR:\|DEADLYSIGNAL/,/^SUMMARY/p' \
	                      $(BUILD)/fuzz/$$n.log | head -n 40; \
	                    echo "fuzz $$n failed (exit $$rc): $(BUILD)/fuzz/$$n.log"; exit 1; }; \
	done

fuzz:
	$(MAKE) BUILD=build-fuzz FUZZ=1 fuzz-run

# --- per-module extras: binaries, shared objects, fixtures ---------------
# Each may add to ALL_TARGETS (built by `all`), TEST_DEPS (built before
# tests run) and BENCH_DEPS.
ALL_TARGETS :=
TEST_DEPS   :=
BENCH_DEPS  :=
-include $(sort $(wildcard src/*/module.mk tests/*/module.mk))

.DEFAULT_GOAL := all
# Keep intermediate objects (tests, benches) so rebuilds stay incremental.
.SECONDARY:
.PHONY: all test test-build demo bench install clean gpu-build gpu-check deps fuzz fuzz-run

all: $(NT_ARCHIVES) $(ALL_TARGETS) $(RUNTIME_LIBS)

deps: $(DEPS_STAMP)

test-build: all $(TEST_BINS) $(TEST_DEPS)

# Every test binary and tests/*/test_*.sh; one summary line at the end.
test: test-build
	@BUILD=$(BUILD) CUDA_HOME=$(CUDA_HOME) SAN=$(SAN) JOBS=$(JOBS) VALGRIND=$(VALGRIND) \
	  sh tests/run.sh $(TEST_BINS) $(sort $(wildcard tests/*/test_*.sh))

bench: all $(BENCH_BINS) $(BENCH_DEPS)
	@for b in $(BENCH_BINS); do \
	  echo "== $$b"; BUILD=$(BUILD) CUDA_HOME=$(CUDA_HOME) $$b || exit 1; done

demo: all
	@BUILD=$(BUILD) CUDA_HOME=$(CUDA_HOME) sh mk/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/ntrace \
	  $(DESTDIR)$(PREFIX)/share/ntrace/lua $(DESTDIR)$(PREFIX)/share/ntrace/probes
	install -m 755 $(BUILD)/bin/ntrace $(DESTDIR)$(PREFIX)/bin/ntrace
	for f in $(wildcard $(BUILD)/lib/*.so*); do \
	  install -m 755 $$f $(DESTDIR)$(PREFIX)/lib/ntrace/; done
	if [ -d $(BUILD)/emu ]; then install -d $(DESTDIR)$(PREFIX)/lib/ntrace/emu && \
	  cp -P $(BUILD)/emu/* $(DESTDIR)$(PREFIX)/lib/ntrace/emu/; fi
	for f in $(wildcard lua/*.lua); do \
	  install -m 644 $$f $(DESTDIR)$(PREFIX)/share/ntrace/lua/; done
	for f in $(wildcard probes/*.lua); do \
	  install -m 644 $$f $(DESTDIR)$(PREFIX)/share/ntrace/probes/; done
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 docs/man/ntrace.1 $(DESTDIR)$(PREFIX)/share/man/man1/ntrace.1

# The GPU suite: build here, carry build/ to the GPU machine, run there.
# gpu-build leaves build/ with only what gpu-check uses (mk/gpu-prune.sh), so
# the whole folder can be carried to a GPU machine; the next make rebuilds the rest.
gpu-build: all $(TEST_DEPS) $(BENCH_BINS) $(BENCH_DEPS)
	@sh mk/gpu-prune.sh $(BUILD)

gpu-check:
	@if [ -f tests/gpu/run.sh ]; then BUILD=$(BUILD) sh tests/gpu/run.sh; \
	 else echo "gpu-check: no GPU suite yet (see issue 11)"; fi

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
