# tests/kernels: CUDA kernels for the emulator's test apps, compiled at
# build time to PTX under $(BUILD)/fixtures/kernels (nvcc -O3 -arch=sm_90).
KERNEL_SRCS := $(sort $(wildcard tests/kernels/*.cu))
KERNEL_PTX  := $(patsubst tests/kernels/%.cu,$(BUILD)/fixtures/kernels/%.ptx,$(KERNEL_SRCS))

$(BUILD)/fixtures/kernels/%.ptx: tests/kernels/%.cu
	@mkdir -p $(@D)
	$(NVCC) -O3 -arch=sm_90 -ptx $< -o $@

TEST_DEPS  += $(KERNEL_PTX)
BENCH_DEPS += $(KERNEL_PTX)
