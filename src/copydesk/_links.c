/* copydesk._links: the components of a similarity matrix's links, for the stories stage's groupings.
 *
 * link_components(sims, level, times, window): rows i < j are linked where sims[i, j] >= level and
 * their times are at most ``window`` apart (NaN: undated, linked to anything); returns each row's
 * component label, numbered in the order of each component's first row, as scipy numbers them.
 * The Python path (copydesk.stories.grouping: the pairs reaching the level, filtered by time, then
 * joined) built the list of every link first: a quarter of a million of them in a 2,000-article
 * chunk's topic groups, a quarter of the grouping's time. Tests hold the two equal.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static int matrix_view(PyObject *obj, Py_buffer *view, char *kind) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    const char *format = view->format ? view->format : "B";
    if (format[0] == '<' || format[0] == '=' || format[0] == '@') format++;
    if (strlen(format) == 1 && ((format[0] == 'f' && view->itemsize == 4) || (format[0] == 'd' && view->itemsize == 8))) {
        *kind = format[0];
        return 0;
    }
    PyErr_SetString(PyExc_TypeError, "link_components: sims must be a contiguous float32 or float64 matrix");
    PyBuffer_Release(view);
    return -1;
}

static Py_ssize_t root_of(Py_ssize_t *parent, Py_ssize_t x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static PyObject *link_components(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "link_components(sims, level, times, window)");
        return NULL;
    }
    double level = PyFloat_AsDouble(args[1]), window = PyFloat_AsDouble(args[3]);
    if (PyErr_Occurred()) return NULL;
    Py_buffer sims_view, times_view;
    char kind;
    if (matrix_view(args[0], &sims_view, &kind) < 0) return NULL;
    Py_ssize_t cells = sims_view.len / sims_view.itemsize, n = (Py_ssize_t)llround(sqrt((double)cells));
    if (n * n != cells || (sims_view.ndim == 2 && (sims_view.shape[0] != n || sims_view.shape[1] != n))) {
        PyBuffer_Release(&sims_view);
        PyErr_SetString(PyExc_ValueError, "link_components: sims must be square");
        return NULL;
    }
    const double *times = NULL;
    int has_times = args[2] != Py_None;
    if (has_times) {
        if (PyObject_GetBuffer(args[2], &times_view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
            PyBuffer_Release(&sims_view);
            return NULL;
        }
        const char *format = times_view.format ? times_view.format : "B";
        if (format[0] == '<' || format[0] == '=' || format[0] == '@') format++;
        if (strcmp(format, "d") != 0 || times_view.len / 8 != n) {
            PyBuffer_Release(&times_view);
            PyBuffer_Release(&sims_view);
            PyErr_SetString(PyExc_ValueError, "link_components: times must be n float64 values");
            return NULL;
        }
        times = (const double *)times_view.buf;
    }
    int windowed = has_times && isfinite(window);
    Py_ssize_t *parent = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n > 0 ? n : 1));
    PyObject *labels = parent == NULL ? NULL : PyList_New(n);
    if (labels == NULL) {
        PyMem_Free(parent);
        if (has_times) PyBuffer_Release(&times_view);
        PyBuffer_Release(&sims_view);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) parent[i] = i;
    /* numpy compares a float32 matrix with a Python float in float32 */
    const float level32 = (float)level;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        for (Py_ssize_t j = i + 1; j < n; j++) {
            int reaches = kind == 'f' ? ((const float *)sims_view.buf)[i * n + j] >= level32
                                      : ((const double *)sims_view.buf)[i * n + j] >= level;
            if (!reaches || (windowed && fabs(times[i] - times[j]) > window)) continue;
            Py_ssize_t x = root_of(parent, i), y = root_of(parent, j);
            if (x < y) {
                parent[y] = x;
            } else if (y < x) {
                parent[x] = y;
            }
        }
    }
    Py_END_ALLOW_THREADS
    /* the lower root wins every union, so a root is its component's first row and is met before the
     * rest of it: labels in the order of each component's first row */
    Py_ssize_t *label_of = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n > 0 ? n : 1));
    if (label_of == NULL) {
        Py_CLEAR(labels);
        PyErr_NoMemory();
    } else {
        Py_ssize_t count = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_ssize_t root = root_of(parent, i);
            if (root == i) label_of[i] = count++;
            PyObject *value = PyLong_FromSsize_t(label_of[root]);
            if (value == NULL) {
                Py_CLEAR(labels);
                break;
            }
            PyList_SET_ITEM(labels, i, value);
        }
        PyMem_Free(label_of);
    }
    PyMem_Free(parent);
    if (has_times) PyBuffer_Release(&times_view);
    PyBuffer_Release(&sims_view);
    return labels;
}

static PyMethodDef links_methods[] = {
    {"link_components", (PyCFunction)(void (*)(void))link_components, METH_FASTCALL,
     "link_components(sims, level, times, window) -> list[int]: each row's component of the links "
     "sims[i, j] >= level between rows at most window apart in times (None: no times)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef links_module = {
    PyModuleDef_HEAD_INIT, "copydesk._links", "Components of a similarity matrix's links, compiled.", 0,
    links_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__links(void) { return PyModuleDef_Init(&links_module); }
