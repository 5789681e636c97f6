# tests/probe: the end-to-end app (instrument, run on the CUDA driver API,
# decode, check).  Linked against the emulator's libcuda.so.1 (so it runs
# on the emulator with LD_LIBRARY_PATH=$(BUILD)/emu, and on a GPU without
# it) and only the ntrace archives it needs (not libnt_emu.a, whose cu*
# symbols would shadow the driver).
PRB_E2E := $(BUILD)/probe_e2e/probe_run
PRB_E2E_LIBS := $(BUILD)/lib/libnt_probe.a $(BUILD)/lib/libnt_ptx.a \
                $(BUILD)/lib/libnt_buffer.a $(BUILD)/lib/libnt_common.a

$(PRB_E2E): tests/probe/e2e/probe_run.c $(PRB_E2E_LIBS) $(BUILD)/emu/libcuda.so.1
	@mkdir -p $(@D)
	$(CC) $(NT_CPPFLAGS) $(NT_CFLAGS) $(CFLAGS) $(NT_LDFLAGS) $(LDFLAGS) -o $@ $< \
	  -Wl,--start-group $(PRB_E2E_LIBS) -Wl,--end-group \
	  -Wl,-Bstatic -llua5.4 -Wl,-Bdynamic -L$(BUILD)/emu -l:libcuda.so.1 -lm -ldl

TEST_DEPS += $(PRB_E2E)
