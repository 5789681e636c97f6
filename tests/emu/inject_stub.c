/* inject_stub.c — a minimal CUDA_INJECTION64_PATH library for the driver
 * test: InitializeInjection records that it ran. */
#include <stdlib.h>

__attribute__((visibility("default"))) int InitializeInjection(void)
{
    setenv("NT_STUB_INJECTED", "1", 1);
    return 1;
}
