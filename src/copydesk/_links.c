/* copydesk._links: the stories stage's groupings without scipy (whose clustering and spatial modules
 * cost a quarter of a second to import at every start of the stage): the components of a similarity
 * matrix's links, or of listed links; average linkage as scipy builds it; condensed distances.
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

/* The struct code of a buffer's items ('d', 'f', 'q', ...), its byte-order mark aside; 0 for any
 * other format. */
static char item_code(const Py_buffer *view) {
    const char *format = view->format ? view->format : "B";
    if (format[0] == '<' || format[0] == '=' || format[0] == '@') format++;
    return format[0] != '\0' && format[1] == '\0' ? format[0] : 0;
}

static int is_int64(const Py_buffer *view) {
    char code = item_code(view);
    return view->itemsize == 8 && (code == 'q' || code == 'l');
}

static int matrix_view(PyObject *obj, Py_buffer *view, char *kind) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    char code = item_code(view);
    if ((code == 'f' && view->itemsize == 4) || (code == 'd' && view->itemsize == 8)) {
        *kind = code;
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

/* Joins the components of rows a and b; the lower root wins, so a root is its component's first row. */
static void join_rows(Py_ssize_t *parent, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t x = root_of(parent, a), y = root_of(parent, b);
    if (x < y) {
        parent[y] = x;
    } else if (y < x) {
        parent[x] = y;
    }
}

/* Each row's component label, numbered in the order of each component's first row (its root, met
 * before the rest of it), as a list; NULL with an error set on failure. */
static PyObject *labels_in_order(Py_ssize_t *parent, Py_ssize_t n) {
    Py_ssize_t *label_of = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n > 0 ? n : 1));
    PyObject *labels = label_of == NULL ? NULL : PyList_New(n);
    if (labels == NULL) {
        PyMem_Free(label_of);
        return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    }
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
    return labels;
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
        if (item_code(&times_view) != 'd' || times_view.len / 8 != n) {
            PyBuffer_Release(&times_view);
            PyBuffer_Release(&sims_view);
            PyErr_SetString(PyExc_ValueError, "link_components: times must be n float64 values");
            return NULL;
        }
        times = (const double *)times_view.buf;
    }
    int windowed = has_times && isfinite(window);
    Py_ssize_t *parent = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n > 0 ? n : 1));
    if (parent == NULL) {
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
            join_rows(parent, i, j);
        }
    }
    Py_END_ALLOW_THREADS
    PyObject *labels = labels_in_order(parent, n);
    PyMem_Free(parent);
    if (has_times) PyBuffer_Release(&times_view);
    PyBuffer_Release(&sims_view);
    return labels;
}

/* pair_components(n, a, b): the component label of each of n rows joined by the links a[k] - b[k]
 * (int64 arrays), numbered in the order of each component's first row: scipy's connected_components
 * of the links, without building a sparse graph. */
static PyObject *pair_components(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "pair_components(n, a, b)");
        return NULL;
    }
    Py_ssize_t n = PyLong_AsSsize_t(args[0]);
    if (n == -1 && PyErr_Occurred()) return NULL;
    Py_buffer va, vb;
    if (PyObject_GetBuffer(args[1], &va, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    if (PyObject_GetBuffer(args[2], &vb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&va);
        return NULL;
    }
    PyObject *labels = NULL;
    Py_ssize_t *parent = NULL;
    if (n < 0 || !is_int64(&va) || !is_int64(&vb) ||
        va.len != vb.len) {
        PyErr_SetString(PyExc_ValueError, "pair_components: n >= 0 and two int64 arrays of one length");
        goto done;
    }
    const int64_t *a = (const int64_t *)va.buf, *b = (const int64_t *)vb.buf;
    Py_ssize_t links = va.len / 8;
    for (Py_ssize_t k = 0; k < links; k++) {
        if (a[k] < 0 || a[k] >= n || b[k] < 0 || b[k] >= n) {
            PyErr_SetString(PyExc_IndexError, "pair_components: a row out of range");
            goto done;
        }
    }
    parent = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n > 0 ? n : 1));
    if (parent == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) parent[i] = i;
    for (Py_ssize_t k = 0; k < links; k++) join_rows(parent, (Py_ssize_t)a[k], (Py_ssize_t)b[k]);
    labels = labels_in_order(parent, n);
done:
    PyMem_Free(parent);
    PyBuffer_Release(&va);
    PyBuffer_Release(&vb);
    return labels;
}

/* --- average linkage -------------------------------------------------------------------------- */

static inline Py_ssize_t condensed_at(Py_ssize_t n, Py_ssize_t i, Py_ssize_t j) {
    if (i > j) {
        Py_ssize_t t = i;
        i = j;
        j = t;
    }
    return n * i - (i * (i + 1) / 2) + (j - i - 1);
}

/* A stable sort of positions by their key (merge sort, as numpy's kind="mergesort"). */
static void stable_order(const double *key, Py_ssize_t *order, Py_ssize_t *spare, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) order[i] = i;
    for (Py_ssize_t width = 1; width < n; width *= 2) {
        for (Py_ssize_t lo = 0; lo < n; lo += 2 * width) {
            Py_ssize_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            Py_ssize_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi) spare[k++] = key[order[b]] < key[order[a]] ? order[b++] : order[a++];
            while (a < mid) spare[k++] = order[a++];
            while (b < hi) spare[k++] = order[b++];
        }
        memcpy(order, spare, sizeof(Py_ssize_t) * (size_t)n);
    }
}

/* average_tree(condensed, n, out, overwrite=False): scipy's average linkage of the condensed
 * distances (its nearest-neighbour chain: the same merges, heights and labels, in the same order),
 * written into ``out``, an (n - 1) x 4 float64 array. Importing scipy's clustering for it cost the
 * stories stage a quarter of a second at every start. Tests hold it equal to
 * scipy.cluster.hierarchy.linkage. The merging rewrites the distances: in a copy, or with
 * ``overwrite`` in ``condensed`` itself (a caller done with them spares the copy: 16 MB at 2,000 rows). */
static PyObject *average_tree(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3 && nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "average_tree(condensed, n, out, overwrite=False)");
        return NULL;
    }
    int overwrite = nargs == 4 ? PyObject_IsTrue(args[3]) : 0;
    if (overwrite < 0) return NULL;
    Py_ssize_t n = PyLong_AsSsize_t(args[1]);
    if (n == -1 && PyErr_Occurred()) return NULL;
    Py_buffer dist_view, out_view;
    char kind;
    if (overwrite) {
        int flags = PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_FORMAT;
        if (PyObject_GetBuffer(args[0], &dist_view, flags) < 0) return NULL;
        kind = item_code(&dist_view);
    } else if (matrix_view(args[0], &dist_view, &kind) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[2], &out_view, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&dist_view);
        return NULL;
    }
    PyObject *result = NULL;
    double *D = NULL, *Z = NULL, *heights = NULL, *copied = NULL;
    Py_ssize_t *size = NULL, *chain = NULL, *order = NULL, *spare = NULL, *parent = NULL, *count = NULL;
    Py_ssize_t *active = NULL;
    if (n < 1 || kind != 'd' || item_code(&out_view) != 'd' || dist_view.len / 8 != n * (n - 1) / 2 ||
        out_view.len != (n - 1) * 4 * 8) {
        PyErr_SetString(PyExc_ValueError, "average_tree: float64 condensed distances of n rows, out (n - 1) x 4");
        goto done;
    }
    Py_ssize_t m = n > 1 ? n - 1 : 1, cells = n * (n - 1) / 2;
    if (overwrite && cells > 0) {
        D = (double *)dist_view.buf;
    } else {
        overwrite = 0;
        D = copied = PyMem_Malloc(sizeof(double) * (size_t)(cells > 0 ? cells : 1));
    }
    active = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)n);
    Z = PyMem_Malloc(sizeof(double) * 4 * (size_t)m);
    heights = PyMem_Malloc(sizeof(double) * (size_t)m);
    size = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)n);
    chain = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)n);
    order = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)m);
    spare = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)m);
    parent = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(2 * n));
    count = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(2 * n));
    if (!D || !active || !Z || !heights || !size || !chain || !order || !spare || !parent || !count) {
        PyErr_NoMemory();
        goto done;
    }
    if (!overwrite) memcpy(D, dist_view.buf, sizeof(double) * (size_t)cells);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        size[i] = 1;
        active[i] = i;
    }
    /* the live clusters in order (scipy scans every row and skips the merged ones: twice the reads) */
    Py_ssize_t live = n, chain_length = 0;
    for (Py_ssize_t k = 0; k < n - 1; k++) {
        if (chain_length == 0) {
            chain_length = 1;
            chain[0] = active[0];
        }
        Py_ssize_t x, y = 0;
        double current_min;
        for (;;) {  /* along the chain of nearest neighbours until two are each other's */
            x = chain[chain_length - 1];
            if (chain_length > 1) {  /* the previous link wins ties: no cycles */
                y = chain[chain_length - 2];
                current_min = D[condensed_at(n, x, y)];
            } else {
                current_min = INFINITY;
            }
            for (Py_ssize_t a = 0; a < live; a++) {  /* in order: the first minimum wins */
                Py_ssize_t i = active[a];
                if (i == x) continue;
                double d = D[condensed_at(n, x, i)];
                if (d < current_min) {
                    current_min = d;
                    y = i;
                }
            }
            if (chain_length > 1 && y == chain[chain_length - 2]) break;
            chain[chain_length++] = y;
        }
        chain_length -= 2;
        if (x > y) {
            Py_ssize_t t = x;
            x = y;
            y = t;
        }
        Py_ssize_t nx = size[x], ny = size[y];
        Z[4 * k] = (double)x;
        Z[4 * k + 1] = (double)y;
        Z[4 * k + 2] = current_min;
        Z[4 * k + 3] = (double)(nx + ny);
        size[x] = 0;
        size[y] = nx + ny;
        Py_ssize_t kept = 0;
        for (Py_ssize_t a = 0; a < live; a++) {
            if (active[a] != x) active[kept++] = active[a];
        }
        live = kept;
        for (Py_ssize_t a = 0; a < live; a++) {
            Py_ssize_t i = active[a];
            if (i == y) continue;
            Py_ssize_t at_y = condensed_at(n, i, y);
            D[at_y] = ((double)nx * D[condensed_at(n, i, x)] + (double)ny * D[at_y]) / (double)(nx + ny);
        }
    }
    /* merges by height (stable), then labelled as the tree's nodes: scipy's sort and label() */
    for (Py_ssize_t k = 0; k < n - 1; k++) heights[k] = Z[4 * k + 2];
    stable_order(heights, order, spare, n - 1);
    for (Py_ssize_t i = 0; i < 2 * n - 1; i++) {
        parent[i] = i;
        count[i] = 1;
    }
    Py_ssize_t next_label = n;
    double *out = (double *)out_view.buf;
    for (Py_ssize_t k = 0; k < n - 1; k++) {
        const double *row = Z + 4 * order[k];
        Py_ssize_t roots[2];
        for (int side = 0; side < 2; side++) {
            Py_ssize_t node = (Py_ssize_t)row[side], p = node;
            while (parent[node] != node) node = parent[node];
            while (parent[p] != node) {
                Py_ssize_t up = parent[p];
                parent[p] = node;
                p = up;
            }
            roots[side] = node;
        }
        Py_ssize_t low = roots[0] < roots[1] ? roots[0] : roots[1], high = roots[0] < roots[1] ? roots[1] : roots[0];
        parent[roots[0]] = parent[roots[1]] = next_label;
        count[next_label] = count[roots[0]] + count[roots[1]];
        out[4 * k] = (double)low;
        out[4 * k + 1] = (double)high;
        out[4 * k + 2] = row[2];
        out[4 * k + 3] = (double)count[next_label];
        next_label++;
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(copied);
    PyMem_Free(active);
    PyMem_Free(Z);
    PyMem_Free(heights);
    PyMem_Free(size);
    PyMem_Free(chain);
    PyMem_Free(order);
    PyMem_Free(spare);
    PyMem_Free(parent);
    PyMem_Free(count);
    PyBuffer_Release(&out_view);
    PyBuffer_Release(&dist_view);
    return result;
}

/* condensed_distances(sims, out): 1 - sims[i, j] for each pair i < j in squareform's order, clipped to
 * [0, 2], computed in the matrix's own precision (float32 as numpy computes it) and written as
 * float64 into ``out``: scipy's squareform and three numpy passes, in one. */
static PyObject *condensed_distances(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "condensed_distances(sims, out)");
        return NULL;
    }
    Py_buffer sims_view, out_view;
    char kind;
    if (matrix_view(args[0], &sims_view, &kind) < 0) return NULL;
    if (PyObject_GetBuffer(args[1], &out_view, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&sims_view);
        return NULL;
    }
    Py_ssize_t cells = sims_view.len / sims_view.itemsize, n = (Py_ssize_t)llround(sqrt((double)cells));
    if (n * n != cells || item_code(&out_view) != 'd' || out_view.len != n * (n - 1) / 2 * 8) {
        PyBuffer_Release(&out_view);
        PyBuffer_Release(&sims_view);
        PyErr_SetString(PyExc_ValueError, "condensed_distances: a square matrix, out of n (n - 1) / 2 float64");
        return NULL;
    }
    double *out = (double *)out_view.buf;
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        for (Py_ssize_t j = i + 1; j < n; j++) {
            if (kind == 'f') {
                float d = 1.0f - ((const float *)sims_view.buf)[i * n + j];
                out[k++] = (double)(d < 0.0f ? 0.0f : (d > 2.0f ? 2.0f : d));
            } else {
                double d = 1.0 - ((const double *)sims_view.buf)[i * n + j];
                out[k++] = d < 0.0 ? 0.0 : (d > 2.0 ? 2.0 : d);
            }
        }
    }
    PyBuffer_Release(&out_view);
    PyBuffer_Release(&sims_view);
    Py_RETURN_NONE;
}

/* centred_distances(floor_sims, projections, norms, strength, mean_square, offset, out) -> lowest: for
 * each pair i < j in squareform's order, the similarity of the two rows centred on their mean (each
 * plain row minus ``strength`` times the mean, scaled to unit length: ``norms`` are the lengths
 * before), worked out from the plain rows' own (float32 ``floor_sims``) and their ``projections`` on
 * the mean, at most the plain similarity less ``offset`` (the floor), written as a clipped distance
 * 1 - s into ``out`` (float64); returns the lowest such similarity (inf for fewer than two rows).
 * The second matrix product of the centred rows, the floor's minimum and the distances, in one pass
 * over the one matrix there is. */
static PyObject *centred_distances(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError,
                        "centred_distances(floor_sims, projections, norms, strength, mean_square, offset, out)");
        return NULL;
    }
    double strength = PyFloat_AsDouble(args[3]), mean_square = PyFloat_AsDouble(args[4]);
    double offset = PyFloat_AsDouble(args[5]);
    if (PyErr_Occurred()) return NULL;
    Py_buffer views[4];
    PyObject *sources[4] = {args[0], args[1], args[2], args[6]};
    int flags[4] = {PyBUF_C_CONTIGUOUS | PyBUF_FORMAT, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT,
                    PyBUF_C_CONTIGUOUS | PyBUF_FORMAT, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE};
    for (int v = 0; v < 4; v++) {
        if (PyObject_GetBuffer(sources[v], &views[v], flags[v]) < 0) {
            for (int u = 0; u < v; u++) PyBuffer_Release(&views[u]);
            return NULL;
        }
    }
    PyObject *result = NULL;
    Py_ssize_t n = views[1].len / 8;
    if (item_code(&views[0]) != 'f' || item_code(&views[1]) != 'd' || item_code(&views[2]) != 'd' ||
        item_code(&views[3]) != 'd' || views[0].len != n * n * 4 || views[2].len != n * 8 ||
        views[3].len != n * (n - 1) / 2 * 8) {
        PyErr_SetString(PyExc_ValueError,
                        "centred_distances: an n x n float32 matrix, n float64 projections and norms, "
                        "out of n (n - 1) / 2 float64");
        goto done;
    }
    const float *sims = views[0].buf;
    const double *projection = views[1].buf, *norm = views[2].buf;
    double *out = views[3].buf, lowest = INFINITY, shift = strength * strength * mean_square;
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double own = shift - strength * projection[i];
        for (Py_ssize_t j = i + 1; j < n; j++) {
            double plain = (double)sims[i * n + j], scale = norm[i] * norm[j];
            double centred = scale > 0.0 ? (plain + own - strength * projection[j]) / scale : 0.0;
            double kept = plain - offset;
            double sim = centred < kept ? centred : kept;
            if (sim < lowest) lowest = sim;
            double d = 1.0 - sim;
            out[k++] = d < 0.0 ? 0.0 : (d > 2.0 ? 2.0 : d);
        }
    }
    result = PyFloat_FromDouble(lowest);
done:
    for (int v = 0; v < 4; v++) PyBuffer_Release(&views[v]);
    return result;
}

/* top_columns(values, count, out): each row's ``count`` highest columns of a float64 matrix, highest
 * first, the earlier column first among equal values (np.argsort(-values, axis=1, kind="stable")[:, :count]
 * for finite values; ``count`` at most the columns), written into ``out`` (rows x count int64). One
 * pass a row, keeping the best few in order: sorting whole rows for three columns was most of the
 * copy families' ranking of a big story's later members. */
static PyObject *top_columns(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "top_columns(values, count, out)");
        return NULL;
    }
    Py_ssize_t count = PyLong_AsSsize_t(args[1]);
    if (count == -1 && PyErr_Occurred()) return NULL;
    Py_buffer values, out;
    if (PyObject_GetBuffer(args[0], &values, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_ND) < 0) return NULL;
    if (PyObject_GetBuffer(args[2], &out, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&values);
        return NULL;
    }
    PyObject *result = NULL;
    if (item_code(&values) != 'd' || values.ndim != 2 || !is_int64(&out)) {
        PyErr_SetString(PyExc_TypeError, "top_columns: a float64 matrix and an int64 output");
        goto done;
    }
    Py_ssize_t rows = values.shape[0], columns = values.shape[1];
    if (count < 1 || count > columns || out.len != rows * count * 8) {
        PyErr_SetString(PyExc_ValueError, "top_columns: count from 1 to the columns, out rows x count");
        goto done;
    }
    const double *data = (const double *)values.buf;
    int64_t *best = (int64_t *)out.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < rows; r++) {
        const double *row = data + r * columns;
        int64_t *taken = best + r * count;
        Py_ssize_t held = 0;
        for (Py_ssize_t c = 0; c < columns; c++) {
            double value = row[c];
            /* strictly higher than the lowest held: an equal later column never displaces one */
            if (held == count && !(value > row[taken[held - 1]])) continue;
            Py_ssize_t at = held < count ? held++ : count - 1;
            while (at > 0 && value > row[taken[at - 1]]) {
                taken[at] = taken[at - 1];
                at--;
            }
            taken[at] = c;
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&out);
    PyBuffer_Release(&values);
    return result;
}

static PyMethodDef links_methods[] = {
    {"top_columns", (PyCFunction)(void (*)(void))top_columns, METH_FASTCALL,
     "top_columns(values, count, out) -> None: each row's count highest columns of a float64 matrix, highest "
     "first, the earlier first among equal values, into out (rows x count int64)."},
    {"link_components", (PyCFunction)(void (*)(void))link_components, METH_FASTCALL,
     "link_components(sims, level, times, window) -> list[int]: each row's component of the links "
     "sims[i, j] >= level between rows at most window apart in times (None: no times)."},
    {"pair_components", (PyCFunction)(void (*)(void))pair_components, METH_FASTCALL,
     "pair_components(n, a, b) -> list[int]: each row's component of the links a[k] - b[k] (int64)."},
    {"average_tree", (PyCFunction)(void (*)(void))average_tree, METH_FASTCALL,
     "average_tree(condensed, n, out, overwrite=False) -> None: scipy's average linkage of the condensed "
     "float64 distances, written into out ((n - 1) x 4 float64); with overwrite, condensed is used up."},
    {"condensed_distances", (PyCFunction)(void (*)(void))condensed_distances, METH_FASTCALL,
     "condensed_distances(sims, out) -> None: clip(1 - sims, 0, 2) above the diagonal, in squareform's "
     "order, into out (float64)."},
    {"centred_distances", (PyCFunction)(void (*)(void))centred_distances, METH_FASTCALL,
     "centred_distances(floor_sims, projections, norms, strength, mean_square, offset, out) -> float: the "
     "centred rows' distances, floored, worked out from the plain rows' similarities, into out; the "
     "lowest similarity."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef links_module = {
    PyModuleDef_HEAD_INIT, "copydesk._links", "Components of a similarity matrix's links, compiled.", 0,
    links_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__links(void) { return PyModuleDef_Init(&links_module); }
