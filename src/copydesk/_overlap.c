/* copydesk._overlap: how much two sequences share, for the stories stage's copy checks.
 *
 * shared_count(a, b): how many values two sorted arrays of distinct 64-bit ints (shingle prints) have
 * in common; the near-copy check counts this for every LSH candidate of every new article, and numpy's
 * intersect1d spends most of its time building arrays it then only measures.
 * matched_total(a, b): the total size of difflib.SequenceMatcher(None, a, b, autojunk=False)'s matching
 * blocks for two tuples (the same blocks: the longest match first, earliest in a, then in b, then the
 * same on each side of it), which the rewrite check asks of every aligned sentence pair.
 * Python references: copydesk.fingerprint.lsh.python_shared_count and
 * copydesk.stories.sentence_align.python_matched_total; tests hold them equal.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static int int64_view(PyObject *obj, Py_buffer *view) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    const char *format = view->format ? view->format : "B";
    if (format[0] == '<' || format[0] == '=' || format[0] == '@') format++;
    if (view->itemsize != 8 || (strcmp(format, "q") != 0 && strcmp(format, "l") != 0)) {
        PyErr_SetString(PyExc_TypeError, "shared_count needs contiguous int64 arrays");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *shared_count(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "shared_count(a, b) takes two arrays");
        return NULL;
    }
    Py_buffer va, vb;
    if (int64_view(args[0], &va) < 0) return NULL;
    if (int64_view(args[1], &vb) < 0) {
        PyBuffer_Release(&va);
        return NULL;
    }
    const int64_t *a = (const int64_t *)va.buf, *b = (const int64_t *)vb.buf;
    Py_ssize_t na = va.len / 8, nb = vb.len / 8, i = 0, j = 0, shared = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) {
            i++;
        } else if (a[i] > b[j]) {
            j++;
        } else {
            shared++;
            i++;
            j++;
        }
    }
    PyBuffer_Release(&va);
    PyBuffer_Release(&vb);
    return PyLong_FromSsize_t(shared);
}

/* Equality of two items, as == says; two str objects with different cached hashes differ. */
static int same_item(PyObject *x, PyObject *y) {
    if (x == y) return 1;
    if (PyUnicode_CheckExact(x) && PyUnicode_CheckExact(y)) {
        Py_hash_t hx = PyObject_Hash(x), hy = PyObject_Hash(y);
        if (hx == -1 || hy == -1) return -1;
        if (hx != hy) return 0;
    }
    return PyObject_RichCompareBool(x, y, Py_EQ);
}

typedef struct {
    Py_ssize_t alo, ahi, blo, bhi;
} Span;

static PyObject *matched_total(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2 || !PyTuple_Check(args[0]) || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "matched_total(a, b) takes two tuples");
        return NULL;
    }
    Py_ssize_t la = PyTuple_GET_SIZE(args[0]), lb = PyTuple_GET_SIZE(args[1]);
    if (la == 0 || lb == 0) return PyLong_FromLong(0);
    /* equal[i * lb + j]: a[i] == b[j]; run[j]: length of the match ending at (i - 1, j) */
    unsigned char *equal = PyMem_Malloc((size_t)la * (size_t)lb);
    Py_ssize_t *run = PyMem_Malloc(sizeof(Py_ssize_t) * 2 * (size_t)(lb + 1));
    Span *stack = PyMem_Malloc(sizeof(Span) * 2 * (size_t)(la + 1));
    if (equal == NULL || run == NULL || stack == NULL) {
        PyMem_Free(equal);
        PyMem_Free(run);
        PyMem_Free(stack);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < la; i++) {
        for (Py_ssize_t j = 0; j < lb; j++) {
            int same = same_item(PyTuple_GET_ITEM(args[0], i), PyTuple_GET_ITEM(args[1], j));
            if (same < 0) {
                PyMem_Free(equal);
                PyMem_Free(run);
                PyMem_Free(stack);
                return NULL;
            }
            equal[i * lb + j] = (unsigned char)same;
        }
    }
    Py_ssize_t total = 0, depth = 0;
    stack[depth++] = (Span){0, la, 0, lb};
    while (depth > 0) {
        Span span = stack[--depth];
        /* find_longest_match without junk: the longest run, the earliest in a, then in b */
        Py_ssize_t besti = span.alo, bestj = span.blo, bestsize = 0;
        Py_ssize_t *previous = run, *current = run + (lb + 1);
        for (Py_ssize_t j = span.blo; j <= span.bhi; j++) previous[j] = 0;
        for (Py_ssize_t i = span.alo; i < span.ahi; i++) {
            const unsigned char *row = equal + i * lb;
            for (Py_ssize_t j = span.blo; j < span.bhi; j++) {
                Py_ssize_t k = 0;
                if (row[j]) {
                    k = (j > span.blo ? previous[j - 1] : 0) + 1;
                    if (k > bestsize) {
                        besti = i - k + 1;
                        bestj = j - k + 1;
                        bestsize = k;
                    }
                }
                current[j] = k;
            }
            Py_ssize_t *swap = previous;
            previous = current;
            current = swap;
        }
        if (bestsize == 0) continue;
        total += bestsize;
        /* both sides are pushed at most once per block found: depth stays below la + 1 */
        if (span.alo < besti && span.blo < bestj) stack[depth++] = (Span){span.alo, besti, span.blo, bestj};
        if (besti + bestsize < span.ahi && bestj + bestsize < span.bhi)
            stack[depth++] = (Span){besti + bestsize, span.ahi, bestj + bestsize, span.bhi};
    }
    PyMem_Free(equal);
    PyMem_Free(run);
    PyMem_Free(stack);
    return PyLong_FromSsize_t(total);
}

static PyMethodDef overlap_methods[] = {
    {"shared_count", (PyCFunction)(void (*)(void))shared_count, METH_FASTCALL,
     "shared_count(a, b) -> int: how many values two sorted int64 arrays of distinct values share."},
    {"matched_total", (PyCFunction)(void (*)(void))matched_total, METH_FASTCALL,
     "matched_total(a, b) -> int: the total size of difflib.SequenceMatcher(None, a, b, autojunk=False)'s "
     "matching blocks for two tuples."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef overlap_module = {
    PyModuleDef_HEAD_INIT, "copydesk._overlap", "Shared shingles and matching blocks, compiled.", 0,
    overlap_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__overlap(void) { return PyModuleDef_Init(&overlap_module); }
