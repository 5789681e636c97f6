# tests/kernels: CUDA kernels for the emulator's test apps, compiled at
# build time to PTX under $(BUILD)/fixtures/kernels (nvcc -O3 -arch=sm_90).
KERNEL_SRCS := $(sort $(wildcard tests/kernels/*.cu))
KERNEL_PTX  := $(patsubst tests/kernels/%.cu,$(BUILD)/fixtures/kernels/%.ptx,$(KERNEL_SRCS))

$(BUILD)/fixtures/kernels/%.ptx: tests/kernels/%.cu
	@mkdir -p $(@D)
	$(NVCC) -O3 -arch=sm_90 -Iprobes/include -ptx $< -o $@

TEST_DEPS  += $(KERNEL_PTX)
BENCH_DEPS += $(KERNEL_PTX)

# The same kernels as a fatbin (sm_90 SASS + compute_90 PTX) and as a
# cubin (SASS only), for the driver's image handling.
$(BUILD)/fixtures/kernels/%.fatbin: tests/kernels/%.cu
	@mkdir -p $(@D)
	$(NVCC) -O3 -arch=sm_90 -fatbin $< -o $@

$(BUILD)/fixtures/kernels/%.cubin: tests/kernels/%.cu
	@mkdir -p $(@D)
	$(NVCC) -O3 -gencode arch=compute_90,code=sm_90 -cubin $< -o $@

TEST_DEPS += $(BUILD)/fixtures/kernels/vecadd.fatbin $(BUILD)/fixtures/kernels/vecadd.cubin

# archpick as a fatbin of two PTX texts (compute_80 and compute_90, no
# SASS): which one a device runs shows in the results (multi-device tests).
$(BUILD)/fixtures/kernels/archpick.fatbin: tests/kernels/archpick.cu
	@mkdir -p $(@D)
	$(NVCC) -O3 -gencode arch=compute_80,code=compute_80 -gencode arch=compute_90,code=compute_90 \
	  -fatbin $< -o $@
TEST_DEPS += $(BUILD)/fixtures/kernels/archpick.fatbin
