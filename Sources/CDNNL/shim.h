// oneDNN's C API (Debian: libdnnl-dev 2.6, the v2 API: a matmul descriptor, then a primitive
// descriptor), for the bf16 matrix products of the engine (Sources/Engine/BF16).
#include <oneapi/dnnl/dnnl.h>
