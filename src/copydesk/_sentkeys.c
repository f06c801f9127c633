/* copydesk._sentkeys: one sentence's alignment keys from its tokens, compiled.
 *
 * sentence_key(tokens, memo, read, bound, anchor_bits, anchor_words, word_bits, word_words) is
 * copydesk.stories.sentence_align.python_sentence_key: each token's reading (remembered in ``memo``
 * while it holds fewer than ``bound``), the sentence's anchors and lower-case words as bit masks of
 * two ``KeyBits`` (their ``_bit`` dict, word -> 1 << k, and ``_words`` list, given here), the anchor
 * count, and the grammar words in order. New words get bits in token order (the Python reference
 * assigns them in set order): two sentences' masks compare the same either way. Every copy-family
 * check reads its members' sentences this way; the Python loop was half of that work.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* the bit of ``word`` in a KeyBits, given one if it has none yet; -1 on error */
static Py_ssize_t bit_index(PyObject *bits, PyObject *words, PyObject *word) {
    PyObject *found = PyDict_GetItemWithError(bits, word);
    if (found != NULL) {
        size_t size = _PyLong_NumBits(found);
        if (size == (size_t)-1 || size == 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "a KeyBits bit must be 1 << k");
            return -1;
        }
        return (Py_ssize_t)size - 1;
    }
    if (PyErr_Occurred()) return -1;
    Py_ssize_t k = PyList_GET_SIZE(words);
    PyObject *one = PyLong_FromLong(1), *shift = PyLong_FromSsize_t(k);
    PyObject *value = (one && shift) ? PyNumber_Lshift(one, shift) : NULL;
    Py_XDECREF(one);
    Py_XDECREF(shift);
    if (value == NULL) return -1;
    int status = PyDict_SetItem(bits, word, value);
    Py_DECREF(value);
    if (status < 0 || PyList_Append(words, word) < 0) return -1;
    return k;
}

/* the int with bits ``at[0..n)`` set; ``count`` receives how many distinct bits */
static PyObject *mask_of(const Py_ssize_t *at, Py_ssize_t n, Py_ssize_t *count) {
    Py_ssize_t top = -1;
    for (Py_ssize_t k = 0; k < n; k++)
        if (at[k] > top) top = at[k];
    *count = 0;
    if (top < 0) return PyLong_FromLong(0);
    size_t size = (size_t)top / 8 + 1;
    unsigned char small[512];
    unsigned char *bytes = size <= sizeof(small) ? small : PyMem_Malloc(size);
    if (bytes == NULL) return PyErr_NoMemory();
    memset(bytes, 0, size);
    for (Py_ssize_t k = 0; k < n; k++) {
        unsigned char bit = (unsigned char)(1u << (at[k] & 7));
        if (!(bytes[at[k] >> 3] & bit)) {
            bytes[at[k] >> 3] |= bit;
            (*count)++;
        }
    }
    PyObject *out = _PyLong_FromByteArray(bytes, size, 1, 0);
    if (bytes != small) PyMem_Free(bytes);
    return out;
}

static PyObject *sentence_key(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError,
                        "sentence_key(tokens, memo, read, bound, anchor_bits, anchor_words, word_bits, word_words)");
        return NULL;
    }
    PyObject *tokens = args[0], *memo = args[1], *read = args[2];
    PyObject *anchor_bits = args[4], *anchor_words = args[5], *word_bits = args[6], *word_words = args[7];
    if (!PyList_Check(tokens) || !PyDict_Check(memo) || !PyDict_Check(anchor_bits) || !PyList_Check(anchor_words)
        || !PyDict_Check(word_bits) || !PyList_Check(word_words)) {
        PyErr_SetString(PyExc_TypeError, "sentence_key: a token list, a memo dict, KeyBits dicts and lists");
        return NULL;
    }
    Py_ssize_t bound = PyLong_AsSsize_t(args[3]);
    if (bound == -1 && PyErr_Occurred()) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(tokens), anchors = 0, words = 0;
    Py_ssize_t *anchor_at = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n + 1));
    Py_ssize_t *word_at = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n + 1));
    PyObject *grammar = PyList_New(0), *result = NULL;
    if (anchor_at == NULL || word_at == NULL || grammar == NULL) {
        if (grammar != NULL) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t position = 0; position < n; position++) {
        PyObject *token = PyList_GET_ITEM(tokens, position);
        PyObject *seen = PyDict_GetItemWithError(memo, token);
        if (seen != NULL) {
            Py_INCREF(seen);
        } else {
            if (PyErr_Occurred() || (seen = PyObject_CallOneArg(read, token)) == NULL) goto done;
            if (!PyTuple_Check(seen) || PyTuple_GET_SIZE(seen) != 4) {
                Py_DECREF(seen);
                PyErr_SetString(PyExc_TypeError, "a token reading is (low, at_start, inside, glue)");
                goto done;
            }
            if (PyDict_GET_SIZE(memo) < bound && PyDict_SetItem(memo, token, seen) < 0) {
                Py_DECREF(seen);
                goto done;
            }
        }
        PyObject *low = PyTuple_GET_ITEM(seen, 0);
        PyObject *anchor = PyTuple_GET_ITEM(seen, position ? 2 : 1);
        int glue = PyObject_IsTrue(PyTuple_GET_ITEM(seen, 3));
        int anchored = glue < 0 ? -1 : PyObject_IsTrue(anchor);
        Py_ssize_t bit = anchored < 0 ? -1 : bit_index(word_bits, word_words, low);
        int failed = bit < 0 || (glue && PyList_Append(grammar, low) < 0);
        if (!failed) {
            word_at[words++] = bit;
            if (anchored) {
                bit = bit_index(anchor_bits, anchor_words, anchor);
                failed = bit < 0;
                if (!failed) anchor_at[anchors++] = bit;
            }
        }
        Py_DECREF(seen);
        if (failed) goto done;
    }
    Py_ssize_t anchor_count = 0, word_count = 0;
    PyObject *anchor_mask = mask_of(anchor_at, anchors, &anchor_count);
    PyObject *word_mask = anchor_mask ? mask_of(word_at, words, &word_count) : NULL;
    PyObject *grammar_tuple = word_mask ? PyList_AsTuple(grammar) : NULL;
    if (grammar_tuple != NULL) {
        result = Py_BuildValue("(NnNN)", anchor_mask, anchor_count, word_mask, grammar_tuple);
    } else {
        Py_XDECREF(anchor_mask);
        Py_XDECREF(word_mask);
    }

done:
    PyMem_Free(anchor_at);
    PyMem_Free(word_at);
    Py_XDECREF(grammar);
    return result;
}

static int is_word(Py_UCS4 c) { return c == '_' || Py_UNICODE_ISALNUM(c); }

static int groups_thousands(Py_UCS4 c) { return c == ' ' || c == 0xA0 || c == 0x2009 || c == 0x202F; }

/* sentence_tokens(sentence): copydesk.stories.sentence_align.python_sentence_tokens, the tokens of
 * ``(?<![\w.,])\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?!\d|[.,]\d)|\w+(?:[.,]\d+)*``: a figure whose
 * thousands are grouped by spaces ("3 623") is one token, otherwise a word with the decimals and
 * comma groups it runs into ("3.5", "1,200"). */
static PyObject *sentence_tokens(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "sentence_tokens(sentence): sentence must be a str");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0;
#define AT(k) PyUnicode_READ(kind, data, (k))
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    while (i < n) {
        Py_UCS4 c = AT(i);
        if (!is_word(c)) {
            i++;
            continue;
        }
        Py_ssize_t end = -1;
        if (Py_UNICODE_ISDECIMAL(c)) {
            Py_UCS4 before = i > 0 ? AT(i - 1) : ' ';
            if (i == 0 || !(is_word(before) || before == '.' || before == ',')) {
                Py_ssize_t p = i;
                while (p < n && Py_UNICODE_ISDECIMAL(AT(p))) p++;
                if (p - i <= 3) {
                    Py_ssize_t base = p, groups = 0; /* group g ends at base + 4 g (as many as match) */
                    while (p + 3 < n && groups_thousands(AT(p)) && Py_UNICODE_ISDECIMAL(AT(p + 1))
                           && Py_UNICODE_ISDECIMAL(AT(p + 2)) && Py_UNICODE_ISDECIMAL(AT(p + 3))) {
                        p += 4;
                        groups++;
                    }
                    for (Py_ssize_t g = groups; g >= 1 && end < 0; g--) { /* the longest that may end */
                        Py_ssize_t e = base + 4 * g;
                        int digit_next = e < n && Py_UNICODE_ISDECIMAL(AT(e));
                        int decimal_next = e + 1 < n && (AT(e) == '.' || AT(e) == ',') && Py_UNICODE_ISDECIMAL(AT(e + 1));
                        if (!digit_next && !decimal_next) end = e;
                    }
                }
            }
        }
        if (end < 0) {
            Py_ssize_t p = i;
            while (p < n && is_word(AT(p))) p++;
            while (p + 1 < n && (AT(p) == '.' || AT(p) == ',') && Py_UNICODE_ISDECIMAL(AT(p + 1))) {
                p += 2;
                while (p < n && Py_UNICODE_ISDECIMAL(AT(p))) p++;
            }
            end = p;
        }
        PyObject *token = PyUnicode_Substring(text, i, end);
        if (token == NULL || PyList_Append(out, token) < 0) {
            Py_XDECREF(token);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(token);
        i = end;
    }
#undef AT
    return out;
}

static PyMethodDef sentkeys_methods[] = {
    {"sentence_key", (PyCFunction)(void (*)(void))sentence_key, METH_FASTCALL,
     "sentence_key(tokens, memo, read, bound, anchor_bits, anchor_words, word_bits, word_words) -> (anchor "
     "mask, anchor count, word mask, grammar words): copydesk.stories.sentence_align.python_sentence_key, "
     "compiled."},
    {"sentence_tokens", sentence_tokens, METH_O,
     "sentence_tokens(sentence) -> list[str]: copydesk.stories.sentence_align.python_sentence_tokens, compiled."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef sentkeys_module = {
    PyModuleDef_HEAD_INIT, "copydesk._sentkeys", "One sentence's alignment keys, compiled.", 0, sentkeys_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__sentkeys(void) { return PyModuleDef_Init(&sentkeys_module); }
