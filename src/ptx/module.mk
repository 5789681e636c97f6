# src/ptx: PTX front end.  Test fixtures: PTX made by nvcc from the small
# CUDA kernels in tests/ptx/kernels/ (sm_90), under $(BUILD)/fixtures/ptx/.
PTX_KERNELS  := $(wildcard tests/ptx/kernels/*.cu)
PTX_FIXTURES := $(patsubst tests/ptx/kernels/%.cu,$(BUILD)/fixtures/ptx/%.ptx,$(PTX_KERNELS))

$(BUILD)/fixtures/ptx/%.ptx: tests/ptx/kernels/%.cu
	@mkdir -p $(@D)
	$(NVCC) -ptx -arch=sm_90 -o $@ $<

TEST_DEPS  += $(PTX_FIXTURES)
BENCH_DEPS += $(PTX_FIXTURES)

# make corpus-test: every library module through parse/print/slice and
# ptxas (long: hours on two cores; CORPUS_MAX_BYTES bounds ptxas work).
# (corpus-test is shared with other modules: ours is a prerequisite.)
corpus-test: corpus-test-ptx
corpus-test-ptx: $(BUILD)/tests/ptx/test_corpus
	BUILD=$(BUILD) CUDA_HOME=$(CUDA_HOME) JOBS=$(JOBS) bash tests/ptx/corpus_test.sh
.PHONY: corpus-test corpus-test-ptx
