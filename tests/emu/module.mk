# tests/emu: a stub injection library for the driver test (CUDA_INJECTION64_PATH).
$(BUILD)/fixtures/emu/libinject_stub.so: tests/emu/inject_stub.c
	@mkdir -p $(@D)
	$(CC) $(NT_CPPFLAGS) $(NT_CFLAGS) $(CFLAGS) -shared $(NT_LDFLAGS) -o $@ $<

TEST_DEPS += $(BUILD)/fixtures/emu/libinject_stub.so
