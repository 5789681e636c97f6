# src/emu: the emulated CUDA driver (libcuda.so.1) and CUPTI (libcupti.so.13),
# built on libnt_emu.a.  Run an app on the emulator with
#   LD_LIBRARY_PATH=$(BUILD)/emu ./app
# Version scripts keep each library's exports to its own ABI (cuXxx or
# cuptiXxx), so the driver and CUPTI objects can share one archive.
EMU_DIR := $(BUILD)/emu
EMU_CUPTI_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(wildcard src/emu/cupti_*.c))

# (Not SO_LINK: its --exclude-libs would hide the archive's exports.)
# src/binary reads fatbins (zstd/lz4 linked in; libelf from $(BUILD)/lib).
EMU_SO_ARCHIVES := $(BUILD)/lib/libnt_emu.a $(BUILD)/lib/libnt_ptx.a $(BUILD)/lib/libnt_binary.a \
                   $(BUILD)/lib/libnt_common.a
$(EMU_DIR)/libcuda.so.1: $(EMU_SO_ARCHIVES) src/emu/libcuda.map src/emu/module.mk | $(RUNTIME_LIBS)
	@mkdir -p $(@D)
	$(CC) -shared $(NT_LDFLAGS) $(LDFLAGS) -o $@ \
	  -Wl,--whole-archive $(BUILD)/lib/libnt_emu.a -Wl,--no-whole-archive \
	  $(BUILD)/lib/libnt_ptx.a $(BUILD)/lib/libnt_binary.a $(BUILD)/lib/libnt_common.a \
	  -Wl,-Bstatic -lzstd -llz4 -lz -Wl,-Bdynamic -lelf -lm -ldl -lpthread -Wl,-Bsymbolic \
	  -Wl,-rpath,'$$ORIGIN/../lib' -Wl,-rpath,'$$ORIGIN/..' \
	  -Wl,-z,defs -Wl,-soname,libcuda.so.1 -Wl,--version-script=src/emu/libcuda.map
	ln -sf libcuda.so.1 $(EMU_DIR)/libcuda.so

$(EMU_DIR)/libcupti.so.13: $(EMU_CUPTI_OBJS) $(BUILD)/lib/libnt_common.a src/emu/libcupti.map
	@mkdir -p $(@D)
	$(CC) -shared $(NT_LDFLAGS) $(LDFLAGS) -o $@ $(EMU_CUPTI_OBJS) $(BUILD)/lib/libnt_common.a \
	  -ldl -lpthread -Wl,-z,defs -Wl,-soname,libcupti.so.13 \
	  -Wl,--version-script=src/emu/libcupti.map
	ln -sf libcupti.so.13 $(EMU_DIR)/libcupti.so

ALL_TARGETS += $(EMU_DIR)/libcuda.so.1 $(EMU_DIR)/libcupti.so.13
