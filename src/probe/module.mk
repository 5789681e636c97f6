# src/probe: test fixtures — PTX made by nvcc from the CUDA kernels in
# tests/probe/kernels/, for sm_90 and sm_80 (redux path) and sm_75 (the
# oldest target ptxas 13 knows: the fallback paths), under
# $(BUILD)/fixtures/probe/.
PRB_KERNELS  := $(wildcard tests/probe/kernels/*.cu)
PRB_FIXTURES := $(foreach a,75 80 90,$(patsubst tests/probe/kernels/%.cu,$(BUILD)/fixtures/probe/%.sm$(a).ptx,$(PRB_KERNELS)))

$(BUILD)/fixtures/probe/%.sm75.ptx: tests/probe/kernels/%.cu
	@mkdir -p $(@D)
	$(NVCC) -ptx -arch=sm_75 -Iprobes/include -o $@ $<
$(BUILD)/fixtures/probe/%.sm80.ptx: tests/probe/kernels/%.cu
	@mkdir -p $(@D)
	$(NVCC) -ptx -arch=sm_80 -Iprobes/include -o $@ $<
$(BUILD)/fixtures/probe/%.sm90.ptx: tests/probe/kernels/%.cu
	@mkdir -p $(@D)
	$(NVCC) -ptx -arch=sm_90 -Iprobes/include -o $@ $<

TEST_DEPS  += $(PRB_FIXTURES)
BENCH_DEPS += $(PRB_FIXTURES)
