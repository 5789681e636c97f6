# src/inject: libntrace_inject.so, loaded by the driver via CUDA_INJECTION64_PATH.
# Only InitializeInjection is exported; third-party code is hidden
# (--exclude-libs in SO_LINK) so ntrace never clashes with the app's own
# copies of Lua or SQLite.  CUPTI is whatever the process loads: the
# toolkit's by RUNPATH, or the emulator's through LD_LIBRARY_PATH.
INJ_MODULES := inject probe ptx binary collector buffer common
CUPTI_LIB := $(firstword $(wildcard $(CUDA_HOME)/lib64/libcupti.so $(CUDA_HOME)/extras/CUPTI/lib64/libcupti.so))
$(BUILD)/lib/libntrace_inject.so: $(BUILD)/obj/inject/inject_main.o $(foreach m,$(INJ_MODULES),$(BUILD)/lib/libnt_$(m).a) | $(RUNTIME_LIBS)
	@mkdir -p $(@D)
	$(Q_LD)$(CC) -shared $(NT_LDFLAGS) $(LDFLAGS) -o $@ $< $(call so_link,$(INJ_MODULES)) \
	  -Wl,-z,defs -Wl,-soname,libntrace_inject.so \
	  -L$(dir $(CUPTI_LIB)) -lcupti -Wl,-rpath,$(dir $(CUPTI_LIB)) \
	  -L$(CUDA_HOME)/lib64/stubs -lcuda
ALL_TARGETS += $(BUILD)/lib/libntrace_inject.so

# bench_inject drives this program (not a bench itself: no bench_ prefix).
$(BUILD)/bench/launchloop_app: bench/launchloop_app.c tests/apps/app.h $(BUILD)/emu/libcuda.so.1
	@mkdir -p $(@D)
	$(Q_LD)$(CC) $(NT_CPPFLAGS) -Itests/apps $(NT_CFLAGS) $(CFLAGS) $(NT_LDFLAGS) $(LDFLAGS) -o $@ $< \
	  -L$(BUILD)/emu -l:libcuda.so.1 -lpthread
BENCH_DEPS += $(BUILD)/bench/launchloop_app $(BUILD)/lib/libntrace_inject.so
TEST_DEPS += $(BUILD)/bench/launchloop_app
