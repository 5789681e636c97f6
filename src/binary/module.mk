# src/binary: test fixtures built with nvcc from tests/binary/fixtures/kernels.cu.
#   kernels.ptx            PTX for sm_90
#   kernels.cubin          cubin for sm_90 (no PTX inside)
#   kernels_lineinfo.cubin cubin for sm_90 with -lineinfo (.nv_debug_ptx_txt)
#   kernels.fatbin         sm_80 + sm_90 ELF, compute_90 PTX (nvcc's default: PTX zstd, ELF raw)
#   kernels_all.fatbin     the same with -compress-all (everything zstd)
#   kernels_lz4.fatbin     -compress-all -compress-mode=speed (everything lz4)
#   kernels_raw.fatbin     -compress=false (nothing compressed)
#   kernels_lineinfo.fatbin sm_90 ELF + PTX with -lineinfo (source name in the headers)
#   kernels.exe            an executable with the fatbin in .nv_fatbin
#   bounds.cubin           ptxas output of tests/binary/fixtures/bounds.ptx (launch bounds)
BIN_FIX := $(BUILD)/fixtures/binary
BIN_FIX_SRC := tests/binary/fixtures/kernels.cu
BIN_GENCODE := -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=[sm_90,compute_90]
BIN_FIXTURES := $(addprefix $(BIN_FIX)/,kernels.ptx kernels.cubin kernels_lineinfo.cubin \
    kernels.fatbin kernels_all.fatbin kernels_lz4.fatbin kernels_raw.fatbin kernels.exe \
    kernels_lineinfo.fatbin \
    bounds.cubin)

$(BIN_FIX)/kernels.ptx: $(BIN_FIX_SRC)
	@mkdir -p $(@D)
	$(NVCC) -arch=sm_90 -ptx -o $@ $<
$(BIN_FIX)/kernels.cubin: $(BIN_FIX_SRC)
	@mkdir -p $(@D)
	$(NVCC) -arch=sm_90 -cubin -o $@ $<
$(BIN_FIX)/kernels_lineinfo.cubin: $(BIN_FIX_SRC)
	@mkdir -p $(@D)
	$(NVCC) -arch=sm_90 -cubin -lineinfo -o $@ $<
$(BIN_FIX)/kernels.fatbin: $(BIN_FIX_SRC)
	@mkdir -p $(@D)
	$(NVCC) $(BIN_GENCODE) -fatbin -o $@ $<
$(BIN_FIX)/kernels_all.fatbin: $(BIN_FIX_SRC)
	@mkdir -p $(@D)
	$(NVCC) $(BIN_GENCODE) -Xfatbin -compress-all -fatbin -o $@ $<
$(BIN_FIX)/kernels_lz4.fatbin: $(BIN_FIX_SRC)
	@mkdir -p $(@D)
	$(NVCC) $(BIN_GENCODE) -Xfatbin -compress-all -Xfatbin -compress-mode=speed -fatbin -o $@ $<
$(BIN_FIX)/kernels_raw.fatbin: $(BIN_FIX_SRC)
	@mkdir -p $(@D)
	$(NVCC) $(BIN_GENCODE) -Xfatbin -compress=false -fatbin -o $@ $<
$(BIN_FIX)/kernels_lineinfo.fatbin: $(BIN_FIX_SRC)
	@mkdir -p $(@D)
	$(NVCC) -gencode arch=compute_90,code=[sm_90,compute_90] -lineinfo -fatbin -o $@ $<
$(BIN_FIX)/kernels.exe: $(BIN_FIX_SRC)
	@mkdir -p $(@D)
	$(NVCC) $(BIN_GENCODE) -o $@ $<
$(BIN_FIX)/bounds.cubin: tests/binary/fixtures/bounds.ptx
	@mkdir -p $(@D)
	$(PTXAS) -arch=sm_90 -o $@ $<

TEST_DEPS += $(BIN_FIXTURES)
BENCH_DEPS += $(BIN_FIXTURES)

# The corpus test over every library in $(CUDA_HOME)/lib64, whatever the
# build (make test runs the full set too, except under SAN=1: a subset).
.PHONY: corpus-test
corpus-test: $(BUILD)/tests/binary/test_corpus
	NTRACE_CORPUS=full CUDA_HOME=$(CUDA_HOME) BUILD=$(BUILD) $<

# make fuzz: seed fuzz_image's corpus with the fixtures (the executable is
# left out: 1 MB of mostly host code).
ifeq ($(FUZZ),1)
BIN_FUZZ_SEEDED := $(BUILD)/corpus/fuzz_image/.seeded
$(BIN_FUZZ_SEEDED): $(BIN_FIXTURES)
	@mkdir -p $(@D)
	cp $(filter-out %.exe,$(BIN_FIXTURES)) $(@D)/
	@touch $@
# (fuzz-run's own prerequisite list is read before module.mk files are.)
fuzz-run: $(BIN_FUZZ_SEEDED)
endif

# Line tables: test kernels built with -lineinfo, as a cubin (.debug_line)
# and as PTX (.loc directives, the reference the tests check against).
BIN_LINES := vecadd matmul calls mathlib
BIN_LINES_FIX := $(foreach k,$(BIN_LINES),$(BIN_FIX)/lines/$(k).cubin $(BIN_FIX)/lines/$(k).ptx)
$(BIN_FIX)/lines/%.cubin: tests/kernels/%.cu
	@mkdir -p $(@D)
	$(NVCC) -O3 -lineinfo -arch=sm_90 -cubin -o $@ $<
$(BIN_FIX)/lines/%.ptx: tests/kernels/%.cu
	@mkdir -p $(@D)
	$(NVCC) -O3 -lineinfo -arch=sm_90 -ptx -o $@ $<
TEST_DEPS += $(BIN_LINES_FIX)
