#ifndef RMTL_CBLAS_SHIM_H
#define RMTL_CBLAS_SHIM_H
// Debian's libopenblas-dev puts cblas.h on the default include path.
#include <cblas.h>

// Declared by OpenBLAS's cblas.h; repeated so the module compiles if the cblas.h alternative
// points at another BLAS (linking still needs OpenBLAS).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
#endif
