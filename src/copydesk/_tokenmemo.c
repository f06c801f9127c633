/* copydesk._tokenmemo: a memo of token facts looked up without building the token's string.
 *
 * The spam search reads the facts of every whitespace-separated token of every line
 * (copydesk.clean.spam_tokens.line_token_facts). Tokens recur, so their facts are memoised; with a
 * dict each look-up first builds the token as a str and hashes it, which is most of the cost. This
 * table hashes the token's characters where they lie in the line and only builds a str for a token
 * it has not seen. ``TokenMemo(compute, bound)``: ``compute(token)`` gives a token's facts on a
 * miss; past ``bound`` entries the table starts afresh (as the Python memo it replaces does).
 *
 * Other extensions look tokens up through the capsule ``copydesk._tokenmemo.lookup_ascii``
 * (copydesk._textscan reads a line's words through a memo of their facts this way).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint64_t hash;
    PyObject *key; /* the token (a str), NULL for an empty slot */
    PyObject *value;
} MemoEntry;

typedef struct {
    PyObject_HEAD
    PyObject *compute;
    MemoEntry *table;
    Py_ssize_t capacity; /* a power of two */
    Py_ssize_t used;
    Py_ssize_t bound;
} TokenMemo;

static inline int is_ascii_space(unsigned char c) { return (c >= 9 && c <= 13) || (c >= 28 && c <= 32); }

/* FNV-1a over the token's bytes, with its character width mixed in */
static inline uint64_t hash_bytes(const unsigned char *bytes, Py_ssize_t size, int kind) {
    uint64_t hash = 1469598103934665603ULL ^ (uint64_t)kind;
    for (Py_ssize_t k = 0; k < size; k++) {
        hash ^= bytes[k];
        hash *= 1099511628211ULL;
    }
    return hash;
}

/* the slot of the token, found or empty (a canonical str is equal to another exactly when its
 * width, length and bytes are) */
static MemoEntry *find_slot(TokenMemo *memo, uint64_t hash, const unsigned char *bytes, Py_ssize_t length,
                            int kind) {
    size_t mask = (size_t)memo->capacity - 1, slot = (size_t)hash & mask;
    for (;;) {
        MemoEntry *entry = &memo->table[slot];
        if (entry->key == NULL) return entry;
        if (entry->hash == hash && PyUnicode_KIND(entry->key) == kind && PyUnicode_GET_LENGTH(entry->key) == length
            && memcmp(PyUnicode_DATA(entry->key), bytes, (size_t)(length * kind)) == 0)
            return entry;
        slot = (slot + 1) & mask;
    }
}

static void drop_entries(MemoEntry *table, Py_ssize_t capacity) {
    for (Py_ssize_t k = 0; k < capacity; k++) {
        Py_CLEAR(table[k].key);
        Py_CLEAR(table[k].value);
    }
}

static int allocate(TokenMemo *memo, Py_ssize_t capacity) {
    MemoEntry *table = PyMem_Calloc((size_t)capacity, sizeof(MemoEntry));
    if (table == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memo->table = table;
    memo->capacity = capacity;
    memo->used = 0;
    return 0;
}

static int grow(TokenMemo *memo) {
    MemoEntry *old = memo->table;
    Py_ssize_t old_capacity = memo->capacity;
    if (allocate(memo, old_capacity * 2) < 0) {
        memo->table = old;
        memo->capacity = old_capacity;
        return -1;
    }
    Py_ssize_t used = 0;
    for (Py_ssize_t k = 0; k < old_capacity; k++) {
        if (old[k].key == NULL) continue;
        PyObject *key = old[k].key;
        MemoEntry *slot = find_slot(memo, old[k].hash, PyUnicode_DATA(key), PyUnicode_GET_LENGTH(key),
                                    PyUnicode_KIND(key));
        *slot = old[k]; /* the references move */
        used++;
    }
    memo->used = used;
    PyMem_Free(old);
    return 0;
}

/* the facts of a token given as bytes of one width; a new reference */
static PyObject *lookup(TokenMemo *memo, const unsigned char *bytes, Py_ssize_t length, int kind,
                        PyObject *as_str) {
    uint64_t hash = hash_bytes(bytes, length * kind, kind);
    MemoEntry *slot = find_slot(memo, hash, bytes, length, kind);
    if (slot->key != NULL) return Py_NewRef(slot->value);
    PyObject *key;
    if (as_str != NULL) {
        key = Py_NewRef(as_str);
    } else { /* ASCII bytes from a line */
        key = PyUnicode_New(length, 127);
        if (key == NULL) return NULL;
        memcpy(PyUnicode_1BYTE_DATA(key), bytes, (size_t)length);
    }
    PyObject *value = PyObject_CallOneArg(memo->compute, key);
    if (value == NULL) {
        Py_DECREF(key);
        return NULL;
    }
    if (memo->used >= memo->bound) { /* start afresh, as the Python memo does */
        drop_entries(memo->table, memo->capacity);
        memo->used = 0;
    } else if ((memo->used + 1) * 3 >= memo->capacity * 2) {
        if (grow(memo) < 0) {
            Py_DECREF(key);
            Py_DECREF(value);
            return NULL;
        }
    }
    slot = find_slot(memo, hash, bytes, length, kind); /* the table may have changed under compute() */
    if (slot->key == NULL) {
        slot->hash = hash;
        slot->key = key;
        slot->value = Py_NewRef(value);
        memo->used++;
    } else {
        Py_DECREF(key);
    }
    return value;
}

static int memo_init(TokenMemo *self, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"compute", "bound", NULL};
    PyObject *compute;
    Py_ssize_t bound;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "On:TokenMemo", names, &compute, &bound)) return -1;
    if (!PyCallable_Check(compute) || bound < 1) {
        PyErr_SetString(PyExc_ValueError, "TokenMemo(compute, bound): a callable and a positive bound");
        return -1;
    }
    Py_XSETREF(self->compute, Py_NewRef(compute));
    if (self->table != NULL) {
        drop_entries(self->table, self->capacity);
        PyMem_Free(self->table);
        self->table = NULL;
    }
    self->bound = bound;
    return allocate(self, 1024);
}

static int memo_traverse(TokenMemo *self, visitproc visit, void *arg) {
    Py_VISIT(self->compute);
    for (Py_ssize_t k = 0; self->table != NULL && k < self->capacity; k++) {
        Py_VISIT(self->table[k].key);
        Py_VISIT(self->table[k].value);
    }
    return 0;
}

static int memo_clear(TokenMemo *self) {
    Py_CLEAR(self->compute);
    if (self->table != NULL) {
        drop_entries(self->table, self->capacity);
        self->used = 0;
    }
    return 0;
}

static void memo_dealloc(TokenMemo *self) {
    PyObject_GC_UnTrack(self);
    memo_clear(self);
    PyMem_Free(self->table);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int ready(TokenMemo *self) {
    if (self->table == NULL || self->compute == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "TokenMemo not initialised");
        return -1;
    }
    return 0;
}

/* memo.split_lookup(text) -> list | None: the facts of each token of text.split() when the text is
 * ASCII, else None */
static PyObject *memo_split_lookup(TokenMemo *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "split_lookup() takes a str");
        return NULL;
    }
    if (ready(self) < 0) return NULL;
    if (!PyUnicode_IS_ASCII(text)) Py_RETURN_NONE;
    const unsigned char *chars = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), i = 0;
    PyObject *found = PyList_New(0);
    if (found == NULL) return NULL;
    while (i < length) {
        if (is_ascii_space(chars[i])) {
            i++;
            continue;
        }
        Py_ssize_t end = i + 1;
        while (end < length && !is_ascii_space(chars[end])) end++;
        PyObject *value = lookup(self, chars + i, end - i, PyUnicode_1BYTE_KIND, NULL);
        if (value == NULL || PyList_Append(found, value) < 0) {
            Py_XDECREF(value);
            Py_DECREF(found);
            return NULL;
        }
        Py_DECREF(value);
        i = end;
    }
    return found;
}

/* memo[token] */
static PyObject *memo_getitem(TokenMemo *self, PyObject *token) {
    if (!PyUnicode_Check(token)) {
        PyErr_SetString(PyExc_TypeError, "TokenMemo keys are str");
        return NULL;
    }
    if (ready(self) < 0) return NULL;
    return lookup(self, PyUnicode_DATA(token), PyUnicode_GET_LENGTH(token), PyUnicode_KIND(token), token);
}

static Py_ssize_t memo_length(TokenMemo *self) { return self->used; }

static PyObject *memo_forget(TokenMemo *self, PyObject *unused) {
    (void)unused;
    if (self->table != NULL) {
        drop_entries(self->table, self->capacity);
        self->used = 0;
    }
    Py_RETURN_NONE;
}

static PyMethodDef memo_methods[] = {
    {"split_lookup", (PyCFunction)memo_split_lookup, METH_O,
     "split_lookup(text) -> list | None: the facts of each token of text.split() for an ASCII text, else "
     "None."},
    {"clear", (PyCFunction)memo_forget, METH_NOARGS, "Forget every token."},
    {NULL, NULL, 0, NULL},
};

static PyMappingMethods memo_mapping = {
    (lenfunc)memo_length,
    (binaryfunc)memo_getitem,
    NULL,
};

static PyTypeObject TokenMemoType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "copydesk._tokenmemo.TokenMemo",
    .tp_basicsize = sizeof(TokenMemo),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "TokenMemo(compute, bound): token -> compute(token), memoised; looked up in place.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)memo_init,
    .tp_dealloc = (destructor)memo_dealloc,
    .tp_traverse = (traverseproc)memo_traverse,
    .tp_clear = (inquiry)memo_clear,
    .tp_methods = memo_methods,
    .tp_as_mapping = &memo_mapping,
};

/* memo[token] for ASCII ``bytes`` as other extensions ask it (the capsule ``lookup_ascii``): a new
 * reference, or NULL with an exception set (``memo`` not a TokenMemo). */
static PyObject *lookup_ascii(PyObject *memo, const unsigned char *bytes, Py_ssize_t length) {
    if (!PyObject_TypeCheck(memo, &TokenMemoType)) {
        PyErr_SetString(PyExc_TypeError, "expected a copydesk._tokenmemo.TokenMemo");
        return NULL;
    }
    if (ready((TokenMemo *)memo) < 0) return NULL;
    return lookup((TokenMemo *)memo, bytes, length, PyUnicode_1BYTE_KIND, NULL);
}

/* what the capsule holds (copydesk._textscan declares the same) */
typedef struct {
    PyObject *(*lookup_ascii)(PyObject *memo, const unsigned char *bytes, Py_ssize_t length);
} TokenMemoApi;

static TokenMemoApi token_memo_api = {lookup_ascii};

static int tokenmemo_exec(PyObject *module) {
    if (PyType_Ready(&TokenMemoType) < 0) return -1;
    if (PyModule_AddObjectRef(module, "TokenMemo", (PyObject *)&TokenMemoType) < 0) return -1;
    PyObject *capsule = PyCapsule_New(&token_memo_api, "copydesk._tokenmemo.lookup_ascii", NULL);
    if (capsule == NULL) return -1;
    int status = PyModule_AddObjectRef(module, "lookup_ascii", capsule);
    Py_DECREF(capsule);
    return status;
}

static PyModuleDef_Slot tokenmemo_slots[] = {{Py_mod_exec, tokenmemo_exec}, {0, NULL}};

static struct PyModuleDef tokenmemo_module = {
    PyModuleDef_HEAD_INIT, "copydesk._tokenmemo", "A memo of token facts looked up in place.", 0, NULL,
    tokenmemo_slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__tokenmemo(void) { return PyModuleDef_Init(&tokenmemo_module); }
