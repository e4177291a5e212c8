// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). Its cblas.h also declares
// openblas_set_num_threads / openblas_get_corename, which the engine uses for threading and reporting.
#include <cblas.h>
