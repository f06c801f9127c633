/* copydesk._weigh: an article's story-feature blocks from its token counts, compiled.
 *
 * ``weigh`` is copydesk.stories.features.python_weigh line for line: the same readings, the same
 * dictionaries filled in the same order, the same floating-point operations in the same order, so
 * the vectors are equal to the last bit (tests/test_weigh_kernel.py holds them so). It runs once per
 * article in the ingest workers, where the Python loop over an article's distinct tokens was the
 * largest single cost after cleaning.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

#define VECTOR_DIM 512
#define DIGITS 0
#define CAPITALISED 1

/* A block's (dimension, value) pairs, in the order they are added to a vector. */
typedef struct {
    Py_ssize_t *dims;
    double *vals;
    Py_ssize_t size;
} Block;

static void block_free(Block *block) {
    PyMem_Free(block->dims);
    PyMem_Free(block->vals);
    block->dims = NULL;
    block->vals = NULL;
    block->size = 0;
}

static double squares(PyObject *block) {
    double total = 0.0;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(block, &pos, &key, &value)) {
        double v = PyFloat_AS_DOUBLE(value);
        total += v * v;
    }
    return total;
}

/* python ``_block``: the block's entries scaled to length ``scale``, their signed slot ``at`` of each
 * entry's slots; returns -1 on error */
static int make_block(PyObject *block, PyObject *entries, int at, double scale, Block *out) {
    out->dims = NULL;
    out->vals = NULL;
    out->size = 0;
    Py_ssize_t n = PyDict_GET_SIZE(block);
    if (n == 0 || scale <= 0) return 0;
    double factor = scale / sqrt(squares(block));
    out->dims = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)n);
    out->vals = PyMem_Malloc(sizeof(double) * (size_t)n);
    if (out->dims == NULL || out->vals == NULL) {
        block_free(out);
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t pos = 0, k = 0;
    PyObject *key, *value;
    while (PyDict_Next(block, &pos, &key, &value)) {
        PyObject *entry = PyDict_GetItemWithError(entries, key);
        if (entry == NULL) {
            if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, key);
            block_free(out);
            return -1;
        }
        long signed_slot = PyLong_AsLong(PyTuple_GET_ITEM(PyTuple_GET_ITEM(entry, 2), at));
        if (signed_slot == -1 && PyErr_Occurred()) {
            block_free(out);
            return -1;
        }
        double weight = PyFloat_AS_DOUBLE(value);
        out->dims[k] = (Py_ssize_t)labs(signed_slot) - 1;
        out->vals[k] = signed_slot > 0 ? weight * factor : -(weight * factor);
        k++;
    }
    out->size = k;
    return 0;
}

static void add_block(double *vector, const Block *block) {
    for (Py_ssize_t k = 0; k < block->size; k++) vector[block->dims[k]] += block->vals[k];
}

/* python ``_is_plain_count``: digits only, and one digit or a round count of at most three */
static int is_plain_count(PyObject *value) {
    Py_ssize_t length = PyUnicode_GET_LENGTH(value);
    if (length == 0) return 0;
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    for (Py_ssize_t k = 0; k < length; k++)
        if (!Py_UNICODE_ISDIGIT(PyUnicode_READ(kind, data, k))) return 0;
    return length == 1 || (length <= 3 && PyUnicode_READ(kind, data, length - 1) == '0');
}

/* a token's reading: the known one, else ``read(token)``; a new reference */
static PyObject *reading_of(PyObject *known, PyObject *read, PyObject *token) {
    PyObject *found = PyDict_GetItemWithError(known, token);
    if (found != NULL) {
        Py_INCREF(found);
        return found;
    }
    if (PyErr_Occurred()) return NULL;
    found = PyObject_CallOneArg(read, token);
    if (found != NULL && !(PyTuple_Check(found) && PyTuple_GET_SIZE(found) == 3)) {
        Py_DECREF(found);
        PyErr_SetString(PyExc_TypeError, "a reading is a (low, entry, shape) tuple");
        return NULL;
    }
    return found;
}

/* dict[key] += amount (an int count), 0 when absent */
static int add_count(PyObject *dict, PyObject *key, Py_ssize_t amount) {
    PyObject *old = PyDict_GetItemWithError(dict, key);
    if (old == NULL && PyErr_Occurred()) return -1;
    Py_ssize_t value = old == NULL ? 0 : PyLong_AsSsize_t(old);
    if (value == -1 && PyErr_Occurred()) return -1;
    PyObject *sum = PyLong_FromSsize_t(value + amount);
    if (sum == NULL) return -1;
    int status = PyDict_SetItem(dict, key, sum);
    Py_DECREF(sum);
    return status;
}

static int set_float(PyObject *dict, PyObject *key, double value) {
    PyObject *number = PyFloat_FromDouble(value);
    if (number == NULL) return -1;
    int status = PyDict_SetItem(dict, key, number);
    Py_DECREF(number);
    return status;
}

/* 0.0 for an absent key, -1.0 with an exception set on error (values are never negative) */
static double get_float(PyObject *dict, PyObject *key) {
    PyObject *found = PyDict_GetItemWithError(dict, key);
    if (found == NULL) return PyErr_Occurred() ? -1.0 : 0.0;
    return PyFloat_AsDouble(found);
}

static PyObject *sorted_keys(PyObject *dict) {
    PyObject *keys = PyDict_Keys(dict);
    if (keys != NULL && PyList_Sort(keys) < 0) Py_CLEAR(keys);
    return keys;
}

static PyObject *weigh(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError,
                        "weigh(tokens, boosted, lead_tokens, opening_order, known, read, number_slot, params)");
        return NULL;
    }
    PyObject *tokens = args[0], *boosted = args[1], *lead = args[2], *order = args[3], *known = args[4];
    PyObject *read = args[5], *number_slot = args[6], *params = args[7];
    if (!PyDict_Check(tokens) || !PyDict_Check(boosted) || !PyAnySet_Check(lead) || !PyDict_Check(known)
        || !PyTuple_Check(params) || PyTuple_GET_SIZE(params) != 9) {
        PyErr_SetString(PyExc_TypeError, "weigh: dicts of counts, a set, a known-readings dict, 9 params");
        return NULL;
    }
    double p[9];
    for (int k = 0; k < 9; k++) {
        p[k] = PyFloat_AsDouble(PyTuple_GET_ITEM(params, k));
        if (p[k] == -1.0 && PyErr_Occurred()) return NULL;
    }
    double name_zipf = p[0], stop_zipf = p[1], name_tf = p[2], lead_boost = p[3], title_boost = p[4];
    double words_w = p[5], names_w = p[6], numbers_w = p[7], lead_w = p[8];

    PyObject *seen = NULL, *lower_counts = NULL, *merged = NULL, *words = NULL, *names = NULL;
    PyObject *numbers = NULL, *entries = NULL, *opening = NULL, *order_seq = NULL, *result = NULL;
    PyObject *comma = NULL, *empty = NULL; /* a figure's thousands separators go: "1,200" -> "1200" */
    Block word_block = {0}, name_block = {0}, open_block = {0}, kind_block = {0};
    double vector[VECTOR_DIM] = {0}, kind[VECTOR_DIM] = {0};
    Py_ssize_t pos;
    PyObject *token, *count;

    if ((comma = PyUnicode_FromString(",")) == NULL || (empty = PyUnicode_FromString("")) == NULL) goto done;
    if ((seen = PyDict_New()) == NULL || (lower_counts = PyDict_New()) == NULL) goto done;
    pos = 0;
    while (PyDict_Next(tokens, &pos, &token, &count)) {
        PyObject *reading = reading_of(known, read, token);
        if (reading == NULL) goto done;
        int status = PyDict_SetItem(seen, token, reading);
        Py_DECREF(reading);
        if (status < 0) goto done;
    }
    pos = 0;
    while (PyDict_Next(tokens, &pos, &token, &count)) {
        PyObject *reading = PyDict_GetItem(seen, token);
        Py_ssize_t n = PyLong_AsSsize_t(count);
        if (n == -1 && PyErr_Occurred()) goto done;
        if (add_count(lower_counts, PyTuple_GET_ITEM(reading, 0), n) < 0) goto done;
    }
    if ((merged = PyDict_Copy(tokens)) == NULL) goto done;
    pos = 0;
    while (PyDict_Next(boosted, &pos, &token, &count)) {
        Py_ssize_t n = PyLong_AsSsize_t(count);
        if (n == -1 && PyErr_Occurred()) goto done;
        if (add_count(merged, token, n) < 0) goto done;
        int present = PyDict_Contains(seen, token);
        if (present < 0) goto done;
        if (!present) {
            PyObject *reading = PyObject_CallOneArg(read, token);
            if (reading == NULL) goto done;
            int status = PyDict_SetItem(seen, token, reading);
            Py_DECREF(reading);
            if (status < 0) goto done;
        }
    }

    if ((words = PyDict_New()) == NULL || (names = PyDict_New()) == NULL || (numbers = PyDict_New()) == NULL
        || (entries = PyDict_New()) == NULL || (opening = PyDict_New()) == NULL)
        goto done;
    pos = 0;
    while (PyDict_Next(merged, &pos, &token, &count)) {
        PyObject *reading = PyDict_GetItem(seen, token);
        PyObject *low = PyTuple_GET_ITEM(reading, 0), *found = PyTuple_GET_ITEM(reading, 1);
        long shape = PyLong_AsLong(PyTuple_GET_ITEM(reading, 2));
        Py_ssize_t n = PyLong_AsSsize_t(count);
        if ((shape == -1 || n == -1) && PyErr_Occurred()) goto done;
        if (shape == DIGITS) {
            PyObject *value = PyUnicode_Replace(token, comma, empty, -1);
            if (value == NULL) goto done;
            int status = is_plain_count(value) ? 0 : set_float(numbers, value, 1.0 + log((double)n));
            Py_DECREF(value);
            if (status < 0) goto done;
            continue;
        }
        if (PyDict_SetItem(entries, low, found) < 0) goto done;
        double rarity = PyFloat_AsDouble(PyTuple_GET_ITEM(found, 0));
        double frequency = PyFloat_AsDouble(PyTuple_GET_ITEM(found, 1));
        if (PyErr_Occurred()) goto done;
        if (shape == CAPITALISED) {
            PyObject *lower = PyDict_GetItemWithError(lower_counts, low);
            if (lower == NULL && PyErr_Occurred()) goto done;
            Py_ssize_t lower_count = lower == NULL ? 0 : PyLong_AsSsize_t(lower);
            if (2 * n > lower_count && (frequency < name_zipf || (n >= 2 && lower_count == n))) {
                double tf = name_tf > 0 ? pow((double)n, name_tf) : 1.0 + log((double)n);
                double current = get_float(names, low);
                if (current < 0 && PyErr_Occurred()) goto done;
                if (rarity * tf > current && set_float(names, low, rarity * tf) < 0) goto done;
            }
        }
        if (frequency >= stop_zipf) continue;
        int in_lead = PySet_Contains(lead, low);
        if (in_lead == 0) in_lead = PySet_Contains(lead, token);
        int in_title = PyDict_Contains(boosted, token);
        if (in_lead < 0 || in_title < 0) goto done;
        double boost = 1.0 + lead_boost * (double)in_lead;
        boost += title_boost * (double)in_title;
        double current = get_float(words, low);
        if (current < 0 && PyErr_Occurred()) goto done;
        if (set_float(words, low, current + boost * rarity * (1.0 + log((double)n))) < 0) goto done;
    }

    if ((order_seq = PySequence_Fast(order, "opening_order must be a sequence")) == NULL) goto done;
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(order_seq); k++) {
        token = PySequence_Fast_GET_ITEM(order_seq, k);
        PyObject *reading = PyDict_GetItemWithError(seen, token);
        if (reading != NULL) {
            Py_INCREF(reading);
        } else if (PyErr_Occurred() || (reading = PyObject_CallOneArg(read, token)) == NULL) {
            goto done;
        }
        PyObject *low = PyTuple_GET_ITEM(reading, 0), *found = PyTuple_GET_ITEM(reading, 1);
        long shape = PyLong_AsLong(PyTuple_GET_ITEM(reading, 2));
        int status = 0;
        if (shape != DIGITS) {
            status = PyDict_SetItem(entries, low, found);
            int is_name = status < 0 ? -1 : PyDict_Contains(names, low);
            if (is_name < 0) {
                status = -1;
            } else if (is_name) {
                status = set_float(opening, low, PyFloat_AsDouble(PyTuple_GET_ITEM(found, 0)) * 2.0);
            } else if (PyFloat_AsDouble(PyTuple_GET_ITEM(found, 1)) < stop_zipf) {
                status = PyDict_SetItem(opening, low, PyTuple_GET_ITEM(found, 0));
            }
        }
        Py_DECREF(reading);
        if (status < 0 || PyErr_Occurred()) goto done;
    }

    if (make_block(words, entries, 0, words_w, &word_block) < 0) goto done;
    if (make_block(names, entries, 1, names_w, &name_block) < 0) goto done;
    if (make_block(opening, entries, 2, lead_w, &open_block) < 0) goto done;
    add_block(vector, &word_block);
    add_block(vector, &name_block);
    if (PyDict_GET_SIZE(numbers) > 0 && numbers_w > 0) {
        double factor = numbers_w / sqrt(squares(numbers));
        PyObject *key, *value;
        pos = 0;
        while (PyDict_Next(numbers, &pos, &key, &value)) {
            PyObject *slot = PyObject_CallOneArg(number_slot, key);
            if (slot == NULL) goto done;
            Py_ssize_t dim = -1;
            double sign = 0.0;
            if (PyTuple_Check(slot) && PyTuple_GET_SIZE(slot) == 2) {
                dim = PyLong_AsSsize_t(PyTuple_GET_ITEM(slot, 0));
                sign = PyFloat_AsDouble(PyTuple_GET_ITEM(slot, 1));
            }
            Py_DECREF(slot);
            if (PyErr_Occurred()) goto done;
            if (dim < 0 || dim >= VECTOR_DIM) {
                PyErr_SetString(PyExc_ValueError, "number_slot gave a dimension outside the vector");
                goto done;
            }
            vector[dim] += sign * PyFloat_AS_DOUBLE(value) * factor;
        }
    }
    add_block(vector, &open_block);
    if (words_w > 0) {
        for (Py_ssize_t k = 0; k < word_block.size; k++) kind[word_block.dims[k]] += word_block.vals[k] / words_w;
    } else {
        if (make_block(words, entries, 0, 1.0, &kind_block) < 0) goto done;
        add_block(kind, &kind_block);
    }
    PyObject *name_list = sorted_keys(names), *number_list = name_list ? sorted_keys(numbers) : NULL;
    if (number_list != NULL) {
        result = Py_BuildValue("(y#y#NN)", (const char *)vector, (Py_ssize_t)sizeof(vector), (const char *)kind,
                               (Py_ssize_t)sizeof(kind), name_list, number_list);
    } else {
        Py_XDECREF(name_list);
    }

done:
    block_free(&word_block);
    block_free(&name_block);
    block_free(&open_block);
    block_free(&kind_block);
    Py_XDECREF(seen);
    Py_XDECREF(lower_counts);
    Py_XDECREF(merged);
    Py_XDECREF(words);
    Py_XDECREF(names);
    Py_XDECREF(numbers);
    Py_XDECREF(entries);
    Py_XDECREF(opening);
    Py_XDECREF(order_seq);
    Py_XDECREF(comma);
    Py_XDECREF(empty);
    return result;
}

static PyMethodDef weigh_methods[] = {
    {"weigh", (PyCFunction)(void (*)(void))weigh, METH_FASTCALL,
     "weigh(tokens, boosted, lead_tokens, opening_order, known, read, number_slot, params) -> (bytes, bytes, "
     "list[str], list[str]): copydesk.stories.features.python_weigh, compiled."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef weigh_module = {
    PyModuleDef_HEAD_INIT, "copydesk._weigh", "Story-feature blocks from token counts, compiled.", 0,
    weigh_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__weigh(void) { return PyModuleDef_Init(&weigh_module); }
