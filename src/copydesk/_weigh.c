/* copydesk._weigh: an article's story-feature blocks from its token counts, compiled.
 *
 * ``weigh`` is copydesk.stories.features.python_weigh step for step: the same readings, each block's
 * entries in the order python's dictionaries keep them, the same floating-point operations in the
 * same order, so the vectors are equal to the last bit (tests/test_weigh_kernel.py holds them so).
 * The dictionaries keyed by a token's lower-case form are slots of one small hash table here
 * (building eight Python dictionaries and a float object per entry was half the call: 33 to 17 us
 * an article), and each token's reading is looked up in ``Readings``, a memo of readings decoded
 * once (its form and that form's hash, its numbers as C values), where reading the Python memo's
 * nested tuples and converting their numbers cost a quarter of the call (600-word articles:
 * 36 -> 28 us). It runs once per article in the ingest workers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>
#include <stdint.h>

#define VECTOR_DIM 512
#define DIGITS 0
#define CAPITALISED 1

/* One lower-case form (several tokens may share it: "Harbour", "harbour", "HARBOUR"): its entry
 * tuple, how often the text writes it in any case, and its values in the words, names and opening
 * blocks, each with its place in that block's insertion order (-1: not in the block). Python's
 * dictionaries keyed by the lower-case form are these slots in a small open-addressing table. */
typedef struct {
    PyObject *low; /* borrowed from a reading the call holds */
    Py_hash_t hash;
    long slots[3]; /* the entry's word, name and opening slots (python: entries[low], the last read) */
    Py_ssize_t lower_count;
    double word, name, open;
    Py_ssize_t word_at, name_at, open_at;
} Slot;

/* A token's reading, decoded once per token and process: its lower-case form (and that form's
 * hash), the form's entry (rarity, zipf, slots) and the token's shape. ``Readings`` keeps them in a
 * table of its own, so the weighing reads a token's numbers from one place instead of converting
 * the objects of the reading's nested tuples every time (python: ``Lexicon.token``'s memo). */
typedef struct {
    PyObject *token; /* held; NULL for an empty slot */
    Py_hash_t hash;
    PyObject *low; /* held */
    Py_hash_t low_hash;
    double rarity, zipf;
    long slots[3];
    long shape;
} Reading;

typedef struct {
    PyObject_HEAD
    Reading *table;
    Py_ssize_t capacity, used, bound;
} Readings;

typedef struct {
    Slot *slots;
    Py_ssize_t *table; /* slot index + 1, 0 for empty */
    Py_ssize_t mask, count;
    Py_ssize_t *words, *names, *opening; /* slot indices in each block's insertion order */
    Py_ssize_t n_words, n_names, n_opening;
} Forms;

static void forms_free(Forms *forms) {
    PyMem_Free(forms->slots);
    PyMem_Free(forms->table);
    PyMem_Free(forms->words);
    PyMem_Free(forms->names);
    PyMem_Free(forms->opening);
    memset(forms, 0, sizeof(*forms));
}

static int forms_init(Forms *forms, Py_ssize_t most) {
    memset(forms, 0, sizeof(*forms));
    Py_ssize_t size = 16;
    while (size < 2 * most + 2) size <<= 1;
    forms->slots = PyMem_Calloc((size_t)most + 1, sizeof(Slot));
    forms->table = PyMem_Calloc((size_t)size, sizeof(Py_ssize_t));
    forms->words = PyMem_Malloc(sizeof(Py_ssize_t) * ((size_t)most + 1));
    forms->names = PyMem_Malloc(sizeof(Py_ssize_t) * ((size_t)most + 1));
    forms->opening = PyMem_Malloc(sizeof(Py_ssize_t) * ((size_t)most + 1));
    forms->mask = size - 1;
    if (!forms->slots || !forms->table || !forms->words || !forms->names || !forms->opening) {
        forms_free(forms);
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static int same_str(PyObject *a, PyObject *b) {
    if (a == b) return 1;
    Py_ssize_t length = PyUnicode_GET_LENGTH(a);
    if (length != PyUnicode_GET_LENGTH(b) || PyUnicode_KIND(a) != PyUnicode_KIND(b)) return 0;
    return memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)length * PyUnicode_KIND(a)) == 0;
}

/* The slot of a reading's lower-case form, made if it has none (its slots taken from the reading
 * either way: python keeps the entry read last). */
static Slot *form_of(Forms *forms, const Reading *reading) {
    PyObject *low = reading->low;
    Py_hash_t hash = reading->low_hash;
    Py_ssize_t at = (Py_ssize_t)((size_t)hash & (size_t)forms->mask);
    Slot *slot = NULL;
    while (forms->table[at]) {
        Slot *seen = &forms->slots[forms->table[at] - 1];
        if (seen->hash == hash && same_str(seen->low, low)) {
            slot = seen;
            break;
        }
        at = (at + 1) & forms->mask;
    }
    if (slot == NULL) {
        slot = &forms->slots[forms->count];
        forms->table[at] = ++forms->count;
        slot->low = low;
        slot->hash = hash;
        slot->word_at = slot->name_at = slot->open_at = -1;
    }
    memcpy(slot->slots, reading->slots, sizeof(slot->slots));
    return slot;
}

static double block_value(const Slot *slot, int block) {
    return block == 0 ? slot->word : block == 1 ? slot->name : slot->open;
}

/* python ``_block`` and the vector additions after it: the block's entries scaled to length
 * ``scale``, added to ``vector`` at their signed slot ``at`` (divided by ``divide`` first when it
 * is not 0: the kind vector's copy of the words; every slot was checked when its reading was) */
static void add_block(double *vector, const Forms *forms, const Py_ssize_t *order, Py_ssize_t n, int block,
                      int at, double scale, double divide) {
    if (n == 0 || scale <= 0) return;
    double total = 0.0;
    for (Py_ssize_t k = 0; k < n; k++) {
        double v = block_value(&forms->slots[order[k]], block);
        total += v * v;
    }
    double factor = scale / sqrt(total);
    for (Py_ssize_t k = 0; k < n; k++) {
        const Slot *slot = &forms->slots[order[k]];
        long signed_slot = slot->slots[at];
        double weight = block_value(slot, block);
        double value = signed_slot > 0 ? weight * factor : -(weight * factor);
        vector[labs(signed_slot) - 1] += divide != 0.0 ? value / divide : value;
    }
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

/* A reading decoded from ``read(token)``'s (low, (rarity, zipf, (word, name, opening)), shape);
 * its references are new, -1 with an exception set on failure. */
static int decode_reading(PyObject *token, Py_hash_t hash, PyObject *read, Reading *out) {
    PyObject *reading = PyObject_CallOneArg(read, token);
    if (reading == NULL) return -1;
    PyObject *low, *found, *slots;
    if (!(PyTuple_Check(reading) && PyTuple_GET_SIZE(reading) == 3 && PyUnicode_Check(low = PyTuple_GET_ITEM(reading, 0))
          && PyTuple_Check(found = PyTuple_GET_ITEM(reading, 1)) && PyTuple_GET_SIZE(found) == 3
          && PyTuple_Check(slots = PyTuple_GET_ITEM(found, 2)) && PyTuple_GET_SIZE(slots) == 3)) {
        Py_DECREF(reading);
        PyErr_SetString(PyExc_TypeError,
                        "a reading is a (low: str, (rarity, zipf, (word, name, opening slots)), shape) tuple");
        return -1;
    }
    out->rarity = PyFloat_AsDouble(PyTuple_GET_ITEM(found, 0));
    out->zipf = PyFloat_AsDouble(PyTuple_GET_ITEM(found, 1));
    for (int k = 0; k < 3; k++) out->slots[k] = PyLong_AsLong(PyTuple_GET_ITEM(slots, k));
    out->shape = PyLong_AsLong(PyTuple_GET_ITEM(reading, 2));
    out->low_hash = PyErr_Occurred() ? -1 : PyObject_Hash(low);
    for (int k = 0; k < 3 && out->low_hash != -1; k++) {
        if (out->slots[k] == 0 || labs(out->slots[k]) > VECTOR_DIM) {
            PyErr_SetString(PyExc_ValueError, "a reading's slot is outside the vector");
            out->low_hash = -1;
        }
    }
    if (out->low_hash == -1) {
        Py_DECREF(reading);
        return -1;
    }
    out->token = Py_NewRef(token);
    out->hash = hash;
    out->low = Py_NewRef(low);
    Py_DECREF(reading);
    return 0;
}

static void reading_clear(Reading *reading) {
    Py_CLEAR(reading->token);
    Py_CLEAR(reading->low);
}

static Reading *readings_slot(Readings *readings, PyObject *token, Py_hash_t hash) {
    size_t mask = (size_t)readings->capacity - 1, at = (size_t)hash & mask;
    for (;;) {
        Reading *entry = &readings->table[at];
        if (entry->token == NULL || entry->token == token
            || (entry->hash == hash && PyUnicode_Check(token) && same_str(entry->token, token)))
            return entry;
        at = (at + 1) & mask;
    }
}

static int readings_grow(Readings *readings) {
    Reading *old = readings->table;
    Py_ssize_t old_capacity = readings->capacity, capacity = old_capacity ? 2 * old_capacity : 1024;
    Reading *table = PyMem_Calloc((size_t)capacity, sizeof(Reading));
    if (table == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    readings->table = table;
    readings->capacity = capacity;
    for (Py_ssize_t k = 0; k < old_capacity; k++)
        if (old[k].token != NULL) *readings_slot(readings, old[k].token, old[k].hash) = old[k]; /* refs move */
    PyMem_Free(old);
    return 0;
}

/* A token's reading, copied into ``out`` (its low borrowed from the table, or held in ``out`` and
 * put in ``kept`` past the table's bound); -1 with an exception set on failure. */
static int reading_of(Readings *readings, PyObject *read, PyObject *token, Reading *out, PyObject *kept) {
    if (!PyUnicode_Check(token)) {
        PyErr_SetString(PyExc_TypeError, "tokens are str");
        return -1;
    }
    Py_hash_t hash = PyObject_Hash(token);
    if (hash == -1) return -1;
    if (readings->capacity > 0) {
        Reading *found = readings_slot(readings, token, hash);
        if (found->token != NULL) {
            *out = *found;
            return 0;
        }
    }
    Reading made;
    if (decode_reading(token, hash, read, &made) < 0) return -1;
    if (readings->used < readings->bound) {
        if ((readings->used + 1) * 3 >= readings->capacity * 2 && readings_grow(readings) < 0) {
            reading_clear(&made);
            return -1;
        }
        Reading *slot = readings_slot(readings, token, hash);
        if (slot->token == NULL) {
            *slot = made; /* the table holds its references */
            readings->used++;
        } else {
            reading_clear(&made); /* read() put it there meanwhile (it may call back) */
        }
        *out = *slot;
        return 0;
    }
    *out = made; /* past the bound: the call holds the form for as long as it reads it */
    int failed = PyList_Append(kept, made.low) < 0;
    reading_clear(&made);
    if (failed) return -1;
    out->token = token;
    out->low = PyList_GET_ITEM(kept, PyList_GET_SIZE(kept) - 1);
    return 0;
}

static void readings_dealloc(Readings *self) {
    for (Py_ssize_t k = 0; k < self->capacity; k++) reading_clear(&self->table[k]);
    PyMem_Free(self->table);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *readings_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"bound", NULL};
    Py_ssize_t bound = 2000000;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|n:Readings", names, &bound)) return NULL;
    if (bound < 0) {
        PyErr_SetString(PyExc_ValueError, "Readings(bound): bound must not be negative");
        return NULL;
    }
    Readings *self = (Readings *)type->tp_alloc(type, 0);
    if (self != NULL) self->bound = bound;
    return (PyObject *)self;
}

static Py_ssize_t readings_len(Readings *self) { return self->used; }

/* pickled empty: a memo, made again where it goes */
static PyObject *readings_reduce(Readings *self, PyObject *unused) {
    (void)unused;
    return Py_BuildValue("(O(n))", Py_TYPE(self), self->bound);
}

static PySequenceMethods readings_as_sequence = {.sq_length = (lenfunc)readings_len};

static PyMethodDef readings_methods[] = {
    {"__reduce__", (PyCFunction)readings_reduce, METH_NOARGS, "Pickled empty."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ReadingsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "copydesk._weigh.Readings",
    .tp_basicsize = sizeof(Readings),
    .tp_dealloc = (destructor)readings_dealloc,
    .tp_as_sequence = &readings_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Readings(bound=2000000): a memo of tokens' readings, decoded, for weigh (up to bound tokens).",
    .tp_methods = readings_methods,
    .tp_new = readings_new,
};

static PyObject *sorted_keys(PyObject *dict) {
    PyObject *keys = PyDict_Keys(dict);
    if (keys != NULL && PyList_Sort(keys) < 0) Py_CLEAR(keys);
    return keys;
}

static PyObject *weigh(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError,
                        "weigh(tokens, boosted, lead_tokens, opening_order, readings, read, number_slot, params)");
        return NULL;
    }
    PyObject *tokens = args[0], *boosted = args[1], *lead = args[2], *order = args[3];
    PyObject *read = args[5], *number_slot = args[6], *params = args[7];
    if (!PyDict_Check(tokens) || !PyDict_Check(boosted) || !PyDict_Check(lead)
        || !PyObject_TypeCheck(args[4], &ReadingsType) || !PyTuple_Check(params) || PyTuple_GET_SIZE(params) != 9) {
        PyErr_SetString(PyExc_TypeError, "weigh: dicts of counts (text, title, lead), a Readings memo, 9 params");
        return NULL;
    }
    Readings *known = (Readings *)args[4];
    double p[9];
    for (int k = 0; k < 9; k++) {
        p[k] = PyFloat_AsDouble(PyTuple_GET_ITEM(params, k));
        if (p[k] == -1.0 && PyErr_Occurred()) return NULL;
    }
    double name_zipf = p[0], stop_zipf = p[1], name_tf = p[2], lead_boost = p[3], title_boost = p[4];
    double words_w = p[5], names_w = p[6], numbers_w = p[7], lead_w = p[8];

    PyObject *result = NULL, *numbers = NULL, *order_seq = NULL, *comma = NULL, *empty = NULL;
    PyObject *name_list = NULL, *number_list = NULL;
    /* readings past the memo's bound hold their forms here for the call */
    PyObject *kept = PyList_New(0);
    /* the merged tokens (the text's, then the title's others), their counts and readings */
    Py_ssize_t most = PyDict_GET_SIZE(tokens) + PyDict_GET_SIZE(boosted), n_merged = 0;
    PyObject **merged = PyMem_Calloc((size_t)most + 1, sizeof(PyObject *));
    Reading *readings = PyMem_Malloc(sizeof(Reading) * ((size_t)most + 1));
    Py_ssize_t *counts = PyMem_Malloc(sizeof(Py_ssize_t) * ((size_t)most + 1));
    /* whether the title writes each merged token (read once here, not asked of the title again) */
    char *titled = PyMem_Malloc((size_t)most + 1);
    Forms forms;
    memset(&forms, 0, sizeof(forms));
    double vector[VECTOR_DIM] = {0}, kind[VECTOR_DIM] = {0};
    Py_ssize_t pos;
    PyObject *token, *count;

    if (kept == NULL) goto done;
    if (merged == NULL || readings == NULL || counts == NULL || titled == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if ((order_seq = PySequence_Fast(order, "opening_order must be a sequence")) == NULL) goto done;
    if (forms_init(&forms, most + PySequence_Fast_GET_SIZE(order_seq)) < 0) goto done;
    if ((comma = PyUnicode_FromString(",")) == NULL || (empty = PyUnicode_FromString("")) == NULL) goto done;
    if ((numbers = PyDict_New()) == NULL) goto done;

    /* the text's tokens: readings, and the count of each lower-case form */
    pos = 0;
    while (PyDict_Next(tokens, &pos, &token, &count)) {
        Reading *reading = &readings[n_merged];
        if (reading_of(known, read, token, reading, kept) < 0) goto done;
        merged[n_merged] = token;
        Py_ssize_t n = PyLong_AsSsize_t(count);
        if (n == -1 && PyErr_Occurred()) goto done;
        PyObject *in_title = PyDict_GetItemWithError(boosted, token);
        if (in_title == NULL && PyErr_Occurred()) goto done;
        Py_ssize_t title_n = in_title == NULL ? 0 : PyLong_AsSsize_t(in_title);
        if (title_n == -1 && PyErr_Occurred()) goto done;
        titled[n_merged] = in_title != NULL;
        counts[n_merged++] = n + title_n;
        form_of(&forms, reading)->lower_count += n; /* the text's count alone (python ``lower_counts``) */
    }
    /* the title's tokens the text lacks, after the text's (python ``merged``) */
    pos = 0;
    while (PyDict_Next(boosted, &pos, &token, &count)) {
        Py_ssize_t n = PyLong_AsSsize_t(count);
        if (n == -1 && PyErr_Occurred()) goto done;
        int in_text = PyDict_Contains(tokens, token);
        if (in_text < 0) goto done;
        if (in_text) continue; /* counted with the text's */
        if (reading_of(known, read, token, &readings[n_merged], kept) < 0) goto done;
        merged[n_merged] = token;
        titled[n_merged] = 1;
        counts[n_merged++] = n;
    }

    for (Py_ssize_t m = 0; m < n_merged; m++) {
        const Reading *reading = &readings[m];
        token = merged[m];
        Py_ssize_t n = counts[m];
        if (reading->shape == DIGITS) {
            PyObject *value = PyUnicode_Replace(token, comma, empty, -1);
            if (value == NULL) goto done;
            int status = 0;
            if (!is_plain_count(value)) {
                PyObject *weight = PyFloat_FromDouble(1.0 + log((double)n));
                status = weight == NULL ? -1 : PyDict_SetItem(numbers, value, weight);
                Py_XDECREF(weight);
            }
            Py_DECREF(value);
            if (status < 0) goto done;
            continue;
        }
        Slot *slot = form_of(&forms, reading);
        double rarity = reading->rarity, frequency = reading->zipf;
        if (reading->shape == CAPITALISED) {
            Py_ssize_t lower_count = slot->lower_count;
            if (2 * n > lower_count && (frequency < name_zipf || (n >= 2 && lower_count == n))) {
                double tf = name_tf > 0 ? pow((double)n, name_tf) : 1.0 + log((double)n);
                double current = slot->name_at >= 0 ? slot->name : 0.0;
                if (rarity * tf > current) {
                    if (slot->name_at < 0) {
                        slot->name_at = forms.n_names;
                        forms.names[forms.n_names++] = slot - forms.slots;
                    }
                    slot->name = rarity * tf;
                }
            }
        }
        if (frequency >= stop_zipf) continue;
        int in_lead = PyDict_Contains(lead, reading->low);
        if (in_lead == 0) in_lead = PyDict_Contains(lead, token);
        int in_title = titled[m];
        if (in_lead < 0) goto done;
        double boost = 1.0 + lead_boost * (double)in_lead;
        boost += title_boost * (double)in_title;
        if (slot->word_at < 0) {
            slot->word_at = forms.n_words;
            forms.words[forms.n_words++] = slot - forms.slots;
            slot->word = 0.0;
        }
        slot->word = slot->word + boost * rarity * (1.0 + log((double)n));
    }

    Py_ssize_t n_order = PySequence_Fast_GET_SIZE(order_seq);
    for (Py_ssize_t k = 0; k < n_order; k++) {
        Reading reading;
        if (reading_of(known, read, PySequence_Fast_GET_ITEM(order_seq, k), &reading, kept) < 0) goto done;
        if (reading.shape == DIGITS) continue;
        Slot *slot = form_of(&forms, &reading);
        double value;
        if (slot->name_at >= 0) {
            value = reading.rarity * 2.0;
        } else if (reading.zipf < stop_zipf) {
            value = reading.rarity;
        } else {
            continue;
        }
        if (slot->open_at < 0) {
            slot->open_at = forms.n_opening;
            forms.opening[forms.n_opening++] = slot - forms.slots;
        }
        slot->open = value;
    }

    add_block(vector, &forms, forms.words, forms.n_words, 0, 0, words_w, 0.0);
    add_block(vector, &forms, forms.names, forms.n_names, 1, 1, names_w, 0.0);
    if (PyDict_GET_SIZE(numbers) > 0 && numbers_w > 0) {
        double total = 0.0;
        PyObject *key, *value;
        pos = 0;
        while (PyDict_Next(numbers, &pos, &key, &value)) {
            double v = PyFloat_AS_DOUBLE(value);
            total += v * v;
        }
        double factor = numbers_w / sqrt(total);
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
    add_block(vector, &forms, forms.opening, forms.n_opening, 2, 2, lead_w, 0.0);
    if (words_w > 0) {
        add_block(kind, &forms, forms.words, forms.n_words, 0, 0, words_w, words_w);
    } else {
        add_block(kind, &forms, forms.words, forms.n_words, 0, 0, 1.0, 0.0);
    }
    if ((name_list = PyList_New(forms.n_names)) == NULL) goto done;
    for (Py_ssize_t k = 0; k < forms.n_names; k++) {
        PyObject *low = forms.slots[forms.names[k]].low;
        Py_INCREF(low);
        PyList_SET_ITEM(name_list, k, low);
    }
    if (PyList_Sort(name_list) < 0 || (number_list = sorted_keys(numbers)) == NULL) goto done;
    result = Py_BuildValue("(y#y#OO)", (const char *)vector, (Py_ssize_t)sizeof(vector), (const char *)kind,
                           (Py_ssize_t)sizeof(kind), name_list, number_list);

done:
    PyMem_Free(merged);
    PyMem_Free(readings);
    PyMem_Free(counts);
    PyMem_Free(titled);
    forms_free(&forms);
    Py_XDECREF(kept);
    Py_XDECREF(name_list);
    Py_XDECREF(number_list);
    Py_XDECREF(numbers);
    Py_XDECREF(order_seq);
    Py_XDECREF(comma);
    Py_XDECREF(empty);
    return result;
}

/* float32 bits -> float16 bits, rounded to nearest even: numpy's npy_floatbits_to_halfbits (what
 * ``astype(np.float16)`` gives), so a vector packed here is the one store.vectors.pack_vector makes. */
static uint16_t half_bits(uint32_t f) {
    uint16_t h_sgn = (uint16_t)((f & 0x80000000u) >> 16);
    uint32_t f_exp = f & 0x7f800000u, f_sig;
    if (f_exp >= 0x47800000u) {
        if (f_exp == 0x7f800000u) {
            f_sig = f & 0x007fffffu;
            if (f_sig != 0) {
                uint16_t ret = (uint16_t)(0x7c00u + (f_sig >> 13));
                if (ret == 0x7c00u) ret++;
                return (uint16_t)(h_sgn + ret);
            }
            return (uint16_t)(h_sgn + 0x7c00u);
        }
        return (uint16_t)(h_sgn + 0x7c00u);
    }
    if (f_exp <= 0x38000000u) {
        if (f_exp < 0x33000000u) return h_sgn;
        f_exp >>= 23;
        f_sig = 0x00800000u + (f & 0x007fffffu);
        f_sig >>= (113 - f_exp);
        if (((f_sig & 0x00003fffu) != 0x00001000u) || (f & 0x000007ffu)) f_sig += 0x00001000u;
        return (uint16_t)(h_sgn + (uint16_t)(f_sig >> 13));
    }
    uint16_t h_exp = (uint16_t)((f_exp - 0x38000000u) >> 13);
    f_sig = f & 0x007fffffu;
    if ((f_sig & 0x00003fffu) != 0x00001000u) f_sig += 0x00001000u;
    uint16_t h_sig = (uint16_t)(f_sig >> 13);
    h_sig = (uint16_t)(h_sig + h_exp);
    return (uint16_t)(h_sgn + h_sig);
}

static PyObject *pack_vector(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    if (view.itemsize != 4 || view.format == NULL || strcmp(view.format, "f") != 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "pack_vector expects a contiguous float32 vector");
        return NULL;
    }
    const uint32_t *bits = (const uint32_t *)view.buf;
    Py_ssize_t size = view.len / 4, filled = 0;
    for (Py_ssize_t i = 0; i < size; i++) filled += (bits[i] & 0x7fffffffu) != 0;
    PyObject *out = NULL;
    if (size % 2 == 0 && (2 * filled >= size || size > 0xFFFF)) {
        out = PyBytes_FromStringAndSize(NULL, 2 * size);
        if (out != NULL) {
            uint16_t *to = (uint16_t *)PyBytes_AS_STRING(out);
            for (Py_ssize_t i = 0; i < size; i++) to[i] = half_bits(bits[i]);
        }
    } else if (size > 0xFFFF) {
        PyErr_Format(PyExc_ValueError, "a vector of %zd slots can be stored neither whole nor packed", size);
    } else {
        out = PyBytes_FromStringAndSize(NULL, 2 * (2 * filled + 1));
        if (out != NULL) {
            uint16_t *slots = (uint16_t *)PyBytes_AS_STRING(out), *values = slots + filled;
            Py_ssize_t k = 0;
            for (Py_ssize_t i = 0; i < size; i++) {
                if ((bits[i] & 0x7fffffffu) == 0) continue;
                slots[k] = (uint16_t)i;
                values[k++] = half_bits(bits[i]);
            }
            values[filled] = (uint16_t)size;
        }
    }
    PyBuffer_Release(&view);
    return out;
}

/* The float32 bits of a float16 (exact: every half is a float; as numpy's ``astype(np.float32)``
 * gives them, a NaN's payload kept). */
static uint32_t float_bits(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    if (exp == 0x1fu) return sign | 0x7f800000u | (mant << 13); /* inf, NaN */
    if (exp != 0) return sign | ((exp + 112u) << 23) | (mant << 13);
    if (mant == 0) return sign; /* a signed zero */
    exp = 113u;                  /* a subnormal half: a normal float, its leading bit made implicit */
    while (!(mant & 0x400u)) {
        mant <<= 1;
        exp--;
    }
    return sign | (exp << 23) | ((mant & 0x3ffu) << 13);
}

/* unpack_vector(blob) -> bytearray: the float32 values (native order) of a vector pack_vector
 * stored, whole or packed (a blob's length tells them apart: copydesk.store.vectors), without the
 * numpy calls of the Python path (6.5 -> ~1 us a 600-word article's vector). */
static PyObject *unpack_vector(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "unpack_vector expects bytes");
        return NULL;
    }
    Py_ssize_t length = PyBytes_GET_SIZE(arg);
    const unsigned char *blob = (const unsigned char *)PyBytes_AS_STRING(arg);
    uint16_t item;
    if (length % 4 == 0) { /* whole: a float16 a slot */
        PyObject *out = PyByteArray_FromStringAndSize(NULL, 2 * length);
        if (out == NULL) return NULL;
        uint32_t *to = (uint32_t *)PyByteArray_AS_STRING(out);
        for (Py_ssize_t i = 0; i < length / 2; i++) {
            memcpy(&item, blob + 2 * i, 2);
            to[i] = float_bits(item);
        }
        return out;
    }
    if (length % 2 != 0) {
        PyErr_SetString(PyExc_ValueError, "unpack_vector: a packed vector is whole uint16 items");
        return NULL;
    }
    Py_ssize_t items = length / 2, count = items / 2;
    memcpy(&item, blob + 2 * (items - 1), 2);
    Py_ssize_t size = item;
    PyObject *out = PyByteArray_FromStringAndSize(NULL, 4 * size);
    if (out == NULL) return NULL;
    uint32_t *to = (uint32_t *)PyByteArray_AS_STRING(out);
    memset(to, 0, 4 * (size_t)size);
    for (Py_ssize_t k = 0; k < count; k++) {
        uint16_t slot, value;
        memcpy(&slot, blob + 2 * k, 2);
        memcpy(&value, blob + 2 * (count + k), 2);
        if (slot >= size) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_ValueError, "unpack_vector: a slot past the vector's length");
            return NULL;
        }
        to[slot] = float_bits(value);
    }
    return out;
}

static PyMethodDef weigh_methods[] = {
    {"pack_vector", pack_vector, METH_O,
     "pack_vector(float32 vector) -> bytes: copydesk.store.vectors.python_pack_vector, compiled."},
    {"unpack_vector", unpack_vector, METH_O,
     "unpack_vector(blob: bytes) -> bytearray: the float32 values of copydesk.store.vectors.python_unpack_vector, "
     "compiled."},
    {"weigh", (PyCFunction)(void (*)(void))weigh, METH_FASTCALL,
     "weigh(tokens, boosted, lead_tokens, opening_order, readings, read, number_slot, params) -> (bytes, bytes, "
     "list[str], list[str]): copydesk.stories.features.python_weigh, compiled (``readings``: a Readings memo)."},
    {NULL, NULL, 0, NULL},
};

static int weigh_exec(PyObject *module) {
    if (PyType_Ready(&ReadingsType) < 0) return -1;
    return PyModule_AddObjectRef(module, "Readings", (PyObject *)&ReadingsType);
}

static PyModuleDef_Slot weigh_slots[] = {{Py_mod_exec, weigh_exec}, {0, NULL}};

static struct PyModuleDef weigh_module = {
    PyModuleDef_HEAD_INIT, "copydesk._weigh", "Story-feature blocks from token counts, compiled.", 0,
    weigh_methods, weigh_slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__weigh(void) { return PyModuleDef_Init(&weigh_module); }
