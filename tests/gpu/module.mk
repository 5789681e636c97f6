# tests/gpu: the GPU suite (tests/gpu/run.sh, `make gpu-check`).  The probe
# overhead benchmark bench_gpu is built with the other benchmarks (so
# `make gpu-build` carries it); its emulator smoke test needs it built
# before `make test`.
TEST_DEPS += $(BUILD)/bench/bench_gpu
