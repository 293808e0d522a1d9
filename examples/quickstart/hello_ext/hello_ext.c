/* hello_ext.macros(): the instruction-set macros the compiler defined when it
 * built this module (-march=x86-64-v3 defines __AVX2__, x86-64-v4 also
 * __AVX512F__); hello_ext.label(): the variant label it was built as. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifndef HELLO_LABEL
#define HELLO_LABEL ""
#endif

static const char *const macros[] = {
#ifdef __SSE4_2__
    "__SSE4_2__",
#endif
#ifdef __POPCNT__
    "__POPCNT__",
#endif
#ifdef __AVX__
    "__AVX__",
#endif
#ifdef __AVX2__
    "__AVX2__",
#endif
#ifdef __FMA__
    "__FMA__",
#endif
#ifdef __BMI2__
    "__BMI2__",
#endif
#ifdef __AVX512F__
    "__AVX512F__",
#endif
#ifdef __AVX512BW__
    "__AVX512BW__",
#endif
#ifdef __AVX512VL__
    "__AVX512VL__",
#endif
#ifdef __AVX512VNNI__
    "__AVX512VNNI__",
#endif
#ifdef __ARM_FEATURE_SVE
    "__ARM_FEATURE_SVE",
#endif
    NULL,
};

static PyObject *hello_macros(PyObject *self, PyObject *unused) {
    PyObject *out = PyList_New(0);
    for (const char *const *m = macros; out != NULL && *m != NULL; ++m) {
        PyObject *s = PyUnicode_FromString(*m);
        if (s == NULL || PyList_Append(out, s) < 0) {
            Py_XDECREF(s);
            Py_CLEAR(out);
            break;
        }
        Py_DECREF(s);
    }
    return out;
}

static PyObject *hello_label(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(HELLO_LABEL);
}

static PyMethodDef hello_methods[] = {
    {"macros", hello_macros, METH_NOARGS, "instruction-set macros defined at compile time"},
    {"label", hello_label, METH_NOARGS, "the variant label this module was built as"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef hello_module = {PyModuleDef_HEAD_INIT, "hello_ext", NULL, -1, hello_methods};

PyMODINIT_FUNC PyInit_hello_ext(void) { return PyModule_Create(&hello_module); }
