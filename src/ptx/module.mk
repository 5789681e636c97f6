# src/ptx: PTX front end.  Test fixtures: PTX made by nvcc from the small
# CUDA kernels in tests/ptx/kernels/ (sm_90), under $(BUILD)/fixtures/ptx/.
PTX_KERNELS  := $(wildcard tests/ptx/kernels/*.cu)
PTX_FIXTURES := $(patsubst tests/ptx/kernels/%.cu,$(BUILD)/fixtures/ptx/%.ptx,$(PTX_KERNELS))

$(BUILD)/fixtures/ptx/%.ptx: tests/ptx/kernels/%.cu
	@mkdir -p $(@D)
	$(NVCC) -ptx -arch=sm_90 -o $@ $<

TEST_DEPS  += $(PTX_FIXTURES)
BENCH_DEPS += $(PTX_FIXTURES)
