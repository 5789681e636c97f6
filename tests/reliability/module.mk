# tests/reliability: loadapp (the load tests' program, on the emulator's
# libcuda) and `make load-test`: the long load runs (1 M launches, 100 k
# distinct kernels), too slow for `make test`, with wall time, peak RSS and
# database size printed.  LOAD_LAUNCHES / LOAD_KERNELS set their sizes.
$(BUILD)/reliability/loadapp: tests/reliability/loadapp.c tests/apps/app.h $(BUILD)/emu/libcuda.so.1
	@mkdir -p $(@D)
	$(Q_LD)$(CC) $(NT_CPPFLAGS) -Itests/apps $(NT_CFLAGS) $(CFLAGS) $(NT_LDFLAGS) $(LDFLAGS) -o $@ $< \
	  -L$(BUILD)/emu -l:libcuda.so.1 -lpthread
TEST_DEPS += $(BUILD)/reliability/loadapp

LOAD_LAUNCHES ?= 1000000
LOAD_KERNELS  ?= 100000
.PHONY: load-test
load-test: all $(TEST_DEPS)
	@BUILD=$(BUILD) LOAD_LAUNCHES=$(LOAD_LAUNCHES) LOAD_KERNELS=$(LOAD_KERNELS) \
	  sh tests/reliability/load.sh
