# tests/apps: plain C programs on the CUDA driver API.  They link against
# the emulator's libcuda.so (soname libcuda.so.1), so they run on the
# emulator with LD_LIBRARY_PATH=$(BUILD)/emu and on a real GPU without it.
APP_SRCS := $(sort $(wildcard tests/apps/*.c))
APP_BINS := $(patsubst tests/apps/%.c,$(BUILD)/apps/%,$(APP_SRCS))

$(BUILD)/apps/%: tests/apps/%.c tests/apps/app.h $(BUILD)/emu/libcuda.so.1
	@mkdir -p $(@D)
	$(CC) $(NT_CPPFLAGS) $(NT_CFLAGS) $(CFLAGS) $(NT_LDFLAGS) $(LDFLAGS) -o $@ $< \
	  -L$(BUILD)/emu -l:libcuda.so.1 -lm

# cupti_swap uses CUPTI too (the emulator's, or the toolkit's on a GPU).
$(BUILD)/apps/cupti_swap: tests/apps/cupti_swap.c tests/apps/app.h $(BUILD)/emu/libcuda.so.1 $(BUILD)/emu/libcupti.so.13
	@mkdir -p $(@D)
	$(CC) $(NT_CPPFLAGS) $(NT_CFLAGS) $(CFLAGS) $(NT_LDFLAGS) $(LDFLAGS) -o $@ $< \
	  -L$(BUILD)/emu -l:libcupti.so.13 -l:libcuda.so.1 -lm

TEST_DEPS += $(APP_BINS)
