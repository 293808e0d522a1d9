/* The extension: reports what the compiler was told to target. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifdef VWCUDA_WITH_CUDA
const char *vwcuda_cuda_arch_list(void);
#endif

static PyObject *build_info(PyObject *self, PyObject *args) {
    const char *level =
#if defined(__AVX512F__)
        "x86-64-v4";
#elif defined(__AVX2__)
        "x86-64-v3";
#else
        "baseline";
#endif
#ifdef VWCUDA_WITH_CUDA
    return Py_BuildValue("{s:s,s:s}", "cpu", level, "cuda_arch_list", vwcuda_cuda_arch_list());
#else
    return Py_BuildValue("{s:s,s:O}", "cpu", level, "cuda_arch_list", Py_None);
#endif
}

static PyMethodDef methods[] = {
    {"build_info", build_info, METH_NOARGS, "what this build was compiled for"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_core", NULL, -1, methods};

PyMODINIT_FUNC PyInit__core(void) { return PyModule_Create(&module); }
