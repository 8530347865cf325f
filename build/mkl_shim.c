/* GptLab's MKL shim (see README, "Speed on AMD CPUs").
 *
 * libtorch links Intel MKL statically. MKL asks the exported function mkl_serv_intel_cpu_true() whether it
 * runs on an Intel CPU and, if not, falls back to generic kernels (fp32 GEMM ~2x slower on AVX-512 AMD CPUs).
 * Loaded with RTLD_GLOBAL before libtorch_cpu.so, this definition interposes on MKL's, so MKL dispatches on
 * the CPU's actual instruction set. GptLab only loads it when the CPU supports AVX-512 (or AVX2) and
 * GPTLAB_NO_MKL_SHIM is unset. */
int mkl_serv_intel_cpu_true(void) { return 1; }
