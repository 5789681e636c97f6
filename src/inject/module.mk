# src/inject: libntrace_inject.so, loaded by the driver via CUDA_INJECTION64_PATH.
# Only InitializeInjection is exported; third-party code is hidden
# (--exclude-libs in SO_LINK) so ntrace never clashes with the app's own
# copies of Lua or SQLite.  CUPTI is whatever the process loads: the
# toolkit's by RUNPATH, or the emulator's through LD_LIBRARY_PATH.
CUPTI_LIB := $(firstword $(wildcard $(CUDA_HOME)/lib64/libcupti.so $(CUDA_HOME)/extras/CUPTI/lib64/libcupti.so))
$(BUILD)/lib/libntrace_inject.so: $(BUILD)/obj/inject/inject_main.o $(NT_ARCHIVES) | $(RUNTIME_LIBS)
	@mkdir -p $(@D)
	$(Q_LD)$(CC) -shared $(NT_LDFLAGS) $(LDFLAGS) -o $@ $< $(SO_LINK) \
	  -Wl,-z,defs -Wl,-soname,libntrace_inject.so \
	  -L$(dir $(CUPTI_LIB)) -lcupti -Wl,-rpath,$(dir $(CUPTI_LIB))
ALL_TARGETS += $(BUILD)/lib/libntrace_inject.so
