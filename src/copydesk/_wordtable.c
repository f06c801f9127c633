/* copydesk._wordtable: a language's word frequencies looked up in wordfreq's own list, in place.
 *
 * copydesk.clean.words.zipf_table used to build a dict of every word of the list (321k English
 * words): unpacking them into str objects and inserting each cost ~0.1 s of every process start,
 * on one core, before any ingest worker could begin. A WordTable keeps the decompressed list as it
 * is (msgpack: an array of buckets, each an array of UTF-8 strings) and indexes its words where they
 * lie in it: an open-addressing table of (hash, offset, length, bucket). A word listed in several
 * buckets takes the last one's value, as a dict updated bucket by bucket does.
 *
 * WordTable(data, offset, values): ``data`` the decompressed list, ``offset`` where its first bucket
 * starts (after the header), ``values[k]`` the value of bucket k's words (None: the bucket is left
 * out). It is a read-only Mapping[str, float]: get, [], in, len, iteration over its words; and
 * ``bucket_words(k)``, bucket k's words in the list's order, and ``final_words(k)``, those of them that
 * take bucket k's value.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    uint64_t hash;
    uint32_t offset; /* of the word's bytes in data; 0 for an empty slot (no word starts at 0) */
    uint32_t length;
    uint32_t bucket;
} Slot;

typedef struct {
    PyObject_HEAD
    PyObject *data; /* bytes */
    PyObject *values; /* tuple of float | None, per bucket */
    Py_ssize_t start; /* the first bucket's offset */
    Slot *slots;
    size_t slot_bytes; /* what ``zeroed`` gave for the slots */
    size_t mask;
    Py_ssize_t used;
    uint32_t *bucket_starts; /* per bucket: offset of its array header */
    Py_ssize_t buckets;
} WordTable;

/* eight bytes at a time, each word folded in with a multiply and a shift; finished so that the low
 * bits (the slot) depend on every byte */
static inline uint64_t fold(uint64_t hash, uint64_t word) {
    hash = (hash ^ word) * 0xBF58476D1CE4E5B9ULL;
    return hash ^ (hash >> 29);
}

static uint64_t hash_bytes(const unsigned char *bytes, Py_ssize_t size) {
    uint64_t hash = 0x9E3779B97F4A7C15ULL ^ (uint64_t)size;
    while (size >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        hash = fold(hash, word);
        bytes += 8;
        size -= 8;
    }
    if (size > 0) {
        uint64_t word = 0;
        for (Py_ssize_t k = 0; k < size; k++) word |= (uint64_t)bytes[k] << (8 * k);
        hash = fold(hash, word);
    }
    hash *= 0x94D049BB133111EBULL;
    return hash ^ (hash >> 32);
}

/* msgpack: the length of an array at *at (moved past its header), -1 if there is none */
static Py_ssize_t array_header(const unsigned char *data, Py_ssize_t size, Py_ssize_t *at) {
    Py_ssize_t i = *at;
    if (i >= size) return -1;
    unsigned char c = data[i];
    if ((c & 0xF0) == 0x90) {
        *at = i + 1;
        return c & 0x0F;
    }
    if (c == 0xDC && i + 3 <= size) {
        *at = i + 3;
        return ((Py_ssize_t)data[i + 1] << 8) | data[i + 2];
    }
    if (c == 0xDD && i + 5 <= size) {
        *at = i + 5;
        return ((Py_ssize_t)data[i + 1] << 24) | ((Py_ssize_t)data[i + 2] << 16) | ((Py_ssize_t)data[i + 3] << 8) |
               data[i + 4];
    }
    return -1;
}

/* msgpack: a string at *at: its bytes' offset and length (*at moved past it); -1 if there is none */
static int string_at(const unsigned char *data, Py_ssize_t size, Py_ssize_t *at, Py_ssize_t *offset,
                     Py_ssize_t *length) {
    Py_ssize_t i = *at, head, n;
    if (i >= size) return -1;
    unsigned char c = data[i];
    if ((c & 0xE0) == 0xA0) {
        head = 1;
        n = c & 0x1F;
    } else if (c == 0xD9 && i + 2 <= size) {
        head = 2;
        n = data[i + 1];
    } else if (c == 0xDA && i + 3 <= size) {
        head = 3;
        n = ((Py_ssize_t)data[i + 1] << 8) | data[i + 2];
    } else if (c == 0xDB && i + 5 <= size) {
        head = 5;
        n = ((Py_ssize_t)data[i + 1] << 24) | ((Py_ssize_t)data[i + 2] << 16) | ((Py_ssize_t)data[i + 3] << 8) |
            data[i + 4];
    } else {
        return -1;
    }
    if (i + head + n > size) return -1;
    *offset = i + head;
    *length = n;
    *at = i + head + n;
    return 0;
}

static const unsigned char *table_bytes(const WordTable *table) {
    return (const unsigned char *)PyBytes_AS_STRING(table->data);
}

/* the slot of the word, found or empty */
static Slot *find(const WordTable *table, uint64_t hash, const unsigned char *word, Py_ssize_t length) {
    const unsigned char *data = table_bytes(table);
    size_t at = (size_t)hash & table->mask;
    for (;;) {
        Slot *slot = &table->slots[at];
        if (slot->offset == 0) return slot;
        if (slot->hash == hash && slot->length == (uint32_t)length &&
            memcmp(data + slot->offset, word, (size_t)length) == 0)
            return slot;
        at = (at + 1) & table->mask;
    }
}

/* ``bytes`` of zeroed memory whose pages are in place (mapped in one go where the platform can:
 * touched one by one, the slots' megabytes cost a page fault every 4 KB, most of a table's build);
 * NULL where there is none. Given back by ``release``. */
static void *zeroed(size_t bytes) {
#if defined(MAP_ANONYMOUS) && defined(MAP_POPULATE)
    void *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return memory == MAP_FAILED ? NULL : memory;
#else
    return calloc(bytes, 1);
#endif
}

static void release(void *memory, size_t bytes) {
    if (memory == NULL) return;
#if defined(MAP_ANONYMOUS) && defined(MAP_POPULATE)
    munmap(memory, bytes);
#else
    (void)bytes;
    free(memory);
#endif
}

/* A word to index: its hash, where its bytes lie, its bucket. */
typedef struct {
    uint64_t hash;
    uint32_t offset, length, bucket;
} Pending;

/* The slots filled with the pending words in order (a word listed again takes the later bucket).
 * Each word's slot is asked of memory a few words ahead of its insertion: the probes land all over
 * a table of megabytes, and waiting for each in turn was the rest of the build. The table is the one
 * inserting word by word makes. Reads no Python object: runs without the interpreter lock. */
static void insert_pending(WordTable *self, const Pending *pending, Py_ssize_t count) {
    const unsigned char *data = table_bytes(self);
    enum { AHEAD = 16 };
    for (Py_ssize_t k = 0; k < count; k++) {
        if (k + AHEAD < count) __builtin_prefetch(&self->slots[(size_t)pending[k + AHEAD].hash & self->mask], 1);
        const Pending *word = &pending[k];
        Slot *slot = find(self, word->hash, data + word->offset, word->length);
        if (slot->offset == 0) {
            slot->hash = word->hash;
            slot->offset = word->offset;
            slot->length = word->length;
            self->used++;
        }
        slot->bucket = word->bucket;
    }
}

/* The buckets' places (``bucket_starts``) and the count of every word (``pending`` NULL), or the
 * words of the buckets that have a value put in ``pending`` (hashed, in the list's order) and
 * counted; -1 for a malformed list. */
static int scan(WordTable *self, const char *valued, Pending *pending, Py_ssize_t *count) {
    const unsigned char *data = table_bytes(self);
    Py_ssize_t size = PyBytes_GET_SIZE(self->data), at = self->start, found = 0;
    for (Py_ssize_t b = 0; b < self->buckets; b++) {
        self->bucket_starts[b] = (uint32_t)at;
        Py_ssize_t n = array_header(data, size, &at);
        if (n < 0) return -1;
        for (Py_ssize_t k = 0; k < n; k++) {
            Py_ssize_t offset = 0, length = 0;
            if (string_at(data, size, &at, &offset, &length) < 0) return -1;
            if (pending == NULL)
                found++;
            else if (valued[b])
                pending[found++] = (Pending){hash_bytes(data + offset, length), (uint32_t)offset, (uint32_t)length, (uint32_t)b};
        }
    }
    *count = found;
    return 0;
}

static int build(WordTable *self) {
    Py_ssize_t buckets = PyTuple_GET_SIZE(self->values), words = 0, count = 0;
    if (PyBytes_GET_SIZE(self->data) > (Py_ssize_t)UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "WordTable: a word list over 4 GB");
        return -1;
    }
    self->buckets = buckets;
    self->bucket_starts = PyMem_Malloc(sizeof(uint32_t) * (size_t)(buckets > 0 ? buckets : 1));
    char *valued = PyMem_Malloc((size_t)(buckets > 0 ? buckets : 1));
    if (self->bucket_starts == NULL || valued == NULL) {
        PyMem_Free(valued);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t b = 0; b < buckets; b++) valued[b] = PyTuple_GET_ITEM(self->values, b) != Py_None;
    /* first the buckets' places and how many words there are, then the slots: the list is read
     * twice, in C only, without the interpreter lock (a process loads its tables in a thread while
     * it opens its store: copydesk.service) */
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = scan(self, valued, NULL, &words);
    Py_END_ALLOW_THREADS
    if (status < 0) {
        PyMem_Free(valued);
        PyErr_SetString(PyExc_ValueError, "WordTable: not a msgpack list of buckets of strings");
        return -1;
    }
    size_t capacity = 1024;
    while (capacity < (size_t)words + (size_t)words / 2 + 1) capacity <<= 1;
    size_t pending_bytes = sizeof(Pending) * (size_t)(words > 0 ? words : 1);
    Pending *pending = zeroed(pending_bytes);
    self->slots = zeroed(capacity * sizeof(Slot));
    self->slot_bytes = capacity * sizeof(Slot);
    if (self->slots == NULL || pending == NULL) {
        release(pending, pending_bytes);
        PyMem_Free(valued);
        PyErr_NoMemory();
        return -1;
    }
    self->mask = capacity - 1;
    Py_BEGIN_ALLOW_THREADS
    scan(self, valued, pending, &count); /* read once already: well formed */
    insert_pending(self, pending, count);
    Py_END_ALLOW_THREADS
    release(pending, pending_bytes);
    PyMem_Free(valued);
    return 0;
}

static int table_init(WordTable *self, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"data", "offset", "values", NULL};
    PyObject *data, *values;
    Py_ssize_t offset;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "SnO:WordTable", names, &data, &offset, &values)) return -1;
    if (self->data != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "WordTable is initialised once");
        return -1;
    }
    PyObject *tuple = PySequence_Tuple(values);
    if (tuple == NULL) return -1;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(tuple); k++) {
        PyObject *value = PyTuple_GET_ITEM(tuple, k);
        if (value != Py_None && !PyFloat_Check(value)) {
            Py_DECREF(tuple);
            PyErr_SetString(PyExc_TypeError, "WordTable: each bucket's value is a float or None");
            return -1;
        }
    }
    if (offset < 1 || offset > PyBytes_GET_SIZE(data)) {
        Py_DECREF(tuple);
        PyErr_SetString(PyExc_ValueError, "WordTable: the first bucket's offset lies outside the data");
        return -1;
    }
    self->data = Py_NewRef(data);
    self->values = tuple;
    self->start = offset;
    return build(self);
}

static void table_dealloc(WordTable *self) {
    Py_XDECREF(self->data);
    Py_XDECREF(self->values);
    release(self->slots, self->slot_bytes);
    PyMem_Free(self->bucket_starts);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int ready(const WordTable *self) {
    if (self->slots == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "WordTable not initialised");
        return -1;
    }
    return 0;
}

/* the slot of a str key, NULL (no error) where the table does not hold it or the key is no str */
static const Slot *slot_of(const WordTable *self, PyObject *key) {
    if (!PyUnicode_Check(key)) return NULL;
    Py_ssize_t length;
    const char *bytes;
    if (PyUnicode_IS_ASCII(key)) {
        bytes = (const char *)PyUnicode_1BYTE_DATA(key);
        length = PyUnicode_GET_LENGTH(key);
    } else if ((bytes = PyUnicode_AsUTF8AndSize(key, &length)) == NULL) {
        PyErr_Clear(); /* a str UTF-8 cannot hold (lone surrogates) is no word of the list */
        return NULL;
    }
    const Slot *slot = find(self, hash_bytes((const unsigned char *)bytes, length), (const unsigned char *)bytes, length);
    return slot->offset ? slot : NULL;
}

static PyObject *value_of(const WordTable *self, const Slot *slot) {
    return Py_NewRef(PyTuple_GET_ITEM(self->values, slot->bucket));
}

static PyObject *table_get(WordTable *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "get(word, default=None)");
        return NULL;
    }
    if (ready(self) < 0) return NULL;
    const Slot *slot = slot_of(self, args[0]);
    if (slot != NULL) return value_of(self, slot);
    return Py_NewRef(nargs == 2 ? args[1] : Py_None);
}

static PyObject *table_getitem(WordTable *self, PyObject *key) {
    if (ready(self) < 0) return NULL;
    const Slot *slot = slot_of(self, key);
    if (slot != NULL) return value_of(self, slot);
    PyErr_SetObject(PyExc_KeyError, key);
    return NULL;
}

static int table_contains(WordTable *self, PyObject *key) {
    if (ready(self) < 0) return -1;
    return slot_of(self, key) != NULL;
}

static Py_ssize_t table_length(WordTable *self) { return self->used; }

static PyObject *word_str(const WordTable *self, const Slot *slot) {
    return PyUnicode_DecodeUTF8((const char *)table_bytes(self) + slot->offset, slot->length, "strict");
}

/* bucket k's words in the list's order (``final``: only those no later bucket lists again, whose
 * value is bucket k's); NULL with an error set */
static PyObject *words_of_bucket(WordTable *self, PyObject *arg, int final) {
    Py_ssize_t b = PyLong_AsSsize_t(arg);
    if (b == -1 && PyErr_Occurred()) return NULL;
    if (ready(self) < 0) return NULL;
    if (b < 0 || b >= self->buckets) {
        PyErr_SetString(PyExc_IndexError, "no such bucket");
        return NULL;
    }
    const unsigned char *data = table_bytes(self);
    Py_ssize_t size = PyBytes_GET_SIZE(self->data), at = self->bucket_starts[b];
    Py_ssize_t n = array_header(data, size, &at);
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_ssize_t offset = 0, length = 0;
        string_at(data, size, &at, &offset, &length);
        if (final) {
            const Slot *slot = find(self, hash_bytes(data + offset, length), data + offset, length);
            if (slot->offset == 0 || slot->bucket != (uint32_t)b) continue; /* no value, or a later one */
        }
        PyObject *word = PyUnicode_DecodeUTF8((const char *)data + offset, length, "strict");
        if (word == NULL || PyList_Append(out, word) < 0) {
            Py_XDECREF(word);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(word);
    }
    return out;
}

/* bucket_words(k) -> list[str]: bucket k's words in the list's order */
static PyObject *table_bucket_words(WordTable *self, PyObject *arg) { return words_of_bucket(self, arg, 0); }

/* final_words(k) -> list[str]: bucket k's words that take its value (it has one, and no later bucket
 * with one lists them again), in the list's order: what a reading of the table by bucket needs,
 * without a look-up of every word in Python (copydesk.clean.words.known_words) */
static PyObject *table_final_words(WordTable *self, PyObject *arg) { return words_of_bucket(self, arg, 1); }

static PyObject *table_bucket_count(WordTable *self, PyObject *unused) {
    (void)unused;
    return PyLong_FromSsize_t(self->buckets);
}

static PyObject *table_iter(WordTable *self) {
    if (ready(self) < 0) return NULL;
    PyObject *words = PyList_New(0);
    if (words == NULL) return NULL;
    for (size_t k = 0; k <= self->mask; k++) {
        const Slot *slot = &self->slots[k];
        if (slot->offset == 0) continue;
        PyObject *word = word_str(self, slot);
        if (word == NULL || PyList_Append(words, word) < 0) {
            Py_XDECREF(word);
            Py_DECREF(words);
            return NULL;
        }
        Py_DECREF(word);
    }
    PyObject *iterator = PyObject_GetIter(words);
    Py_DECREF(words);
    return iterator;
}

/* The table's image: what ``dump`` writes and ``load`` reads back without decompressing the list or
 * indexing its words again (copydesk.clean.words keeps it in the user's cache: a process start
 * spent ~50 ms of CPU on them, on the one core busy before the ingest workers fork). Native byte
 * order and Slot layout, both checked by the header; every section 8-byte aligned:
 *   ImageHeader, double values[buckets], uint8 valued[buckets], uint32 bucket_starts[buckets],
 *   data[data_size], Slot slots[capacity]
 * ``load`` checks every slot it copies against the data, so a damaged image is refused, never read
 * past its data. */
#define IMAGE_VERSION 1

typedef struct {
    char magic[8];
    uint32_t slot_size, byte_order;
    uint64_t data_size, start, buckets, capacity, used;
} ImageHeader;

static const char IMAGE_MAGIC[8] = {'C', 'D', 'W', 'O', 'R', 'D', 'S', (char)IMAGE_VERSION};

static size_t aligned(size_t n) { return (n + 7) & ~(size_t)7; }

/* the sections' offsets in an image of these sizes, and its whole size (0: sizes out of range) */
typedef struct {
    size_t values, valued, bucket_starts, data, slots, total;
} ImageLayout;

static ImageLayout image_layout(uint64_t buckets, uint64_t data_size, uint64_t capacity) {
    ImageLayout at = {0, 0, 0, 0, 0, 0};
    if (buckets > ((uint64_t)1 << 24) || data_size > UINT32_MAX || capacity > ((uint64_t)1 << 32)) return at;
    at.values = aligned(sizeof(ImageHeader));
    at.valued = at.values + aligned((size_t)buckets * sizeof(double));
    at.bucket_starts = at.valued + aligned((size_t)buckets);
    at.data = at.bucket_starts + aligned((size_t)buckets * sizeof(uint32_t));
    at.slots = at.data + aligned((size_t)data_size);
    at.total = at.slots + (size_t)capacity * sizeof(Slot);
    return at;
}

/* dump() -> bytes: the table's image (see above) */
static PyObject *table_dump(WordTable *self, PyObject *unused) {
    (void)unused;
    if (ready(self) < 0) return NULL;
    uint64_t data_size = (uint64_t)PyBytes_GET_SIZE(self->data), capacity = (uint64_t)self->mask + 1;
    ImageLayout at = image_layout((uint64_t)self->buckets, data_size, capacity);
    if (at.total == 0) {
        PyErr_SetString(PyExc_ValueError, "WordTable: too large for an image");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)at.total);
    if (out == NULL) return NULL;
    char *image = PyBytes_AS_STRING(out);
    memset(image, 0, at.total);
    ImageHeader header = {{0}, (uint32_t)sizeof(Slot), 0x01020304u, data_size, (uint64_t)self->start,
                          (uint64_t)self->buckets, capacity, (uint64_t)self->used};
    memcpy(header.magic, IMAGE_MAGIC, sizeof(IMAGE_MAGIC));
    memcpy(image, &header, sizeof(header));
    for (Py_ssize_t b = 0; b < self->buckets; b++) {
        PyObject *value = PyTuple_GET_ITEM(self->values, b);
        double v = value == Py_None ? 0.0 : PyFloat_AS_DOUBLE(value);
        memcpy(image + at.values + (size_t)b * sizeof(double), &v, sizeof(double));
        image[at.valued + (size_t)b] = value != Py_None;
    }
    memcpy(image + at.bucket_starts, self->bucket_starts, (size_t)self->buckets * sizeof(uint32_t));
    memcpy(image + at.data, PyBytes_AS_STRING(self->data), (size_t)data_size);
    memcpy(image + at.slots, self->slots, (size_t)capacity * sizeof(Slot));
    return out;
}

/* Whether an image's sections hold together (the header read already): a table made from them can
 * read nothing outside its data, and every probe ends at an empty slot. */
static int image_holds(const char *image, const ImageHeader *h, ImageLayout at) {
    const unsigned char *valued = (const unsigned char *)image + at.valued;
    if (h->start < 1 || h->start > h->data_size || h->capacity < 2 || (h->capacity & (h->capacity - 1)) != 0
        || h->used >= h->capacity)
        return 0;
    for (uint64_t b = 0; b < h->buckets; b++) {
        uint32_t start;
        memcpy(&start, image + at.bucket_starts + b * sizeof(uint32_t), sizeof(start));
        if (start < h->start || start >= h->data_size || valued[b] > 1) return 0;
    }
    uint64_t used = 0;
    for (uint64_t k = 0; k < h->capacity; k++) {
        Slot slot;
        memcpy(&slot, image + at.slots + k * sizeof(Slot), sizeof(Slot));
        if (slot.offset == 0) continue;
        if ((uint64_t)slot.offset + slot.length > h->data_size || slot.bucket >= h->buckets || !valued[slot.bucket])
            return 0;
        used++;
    }
    return used == h->used;
}

/* load(path) -> WordTable: a table from the image ``dump`` wrote at path; ValueError for a file that
 * is no such image (another version, byte order or layout, or damaged), OSError where it cannot be
 * read. */
static PyObject *table_load(PyTypeObject *type, PyObject *arg) {
    PyObject *encoded = NULL;
    if (!PyUnicode_FSConverter(arg, &encoded)) return NULL;
    /* the file opened and mapped without the interpreter lock (a thread loads the tables while
     * this process opens its store) */
    int flags = MAP_PRIVATE, failed = 0;
#ifdef MAP_POPULATE
    flags |= MAP_POPULATE; /* the pages mapped in one call, not faulted in one by one */
#endif
    size_t size = 0;
    char *image = MAP_FAILED;
    Py_BEGIN_ALLOW_THREADS
    int fd = open(PyBytes_AS_STRING(encoded), O_RDONLY | O_CLOEXEC);
    struct stat info;
    if (fd < 0 || fstat(fd, &info) < 0) {
        failed = errno;
    } else if ((size = (size_t)info.st_size) >= sizeof(ImageHeader)) {
        image = mmap(NULL, size, PROT_READ, flags, fd, 0);
        if (image == MAP_FAILED) failed = errno;
    }
    if (fd >= 0) close(fd);
    Py_END_ALLOW_THREADS
    Py_DECREF(encoded);
    if (failed) {
        errno = failed;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, arg);
        return NULL;
    }
    if (image == MAP_FAILED) {
        PyErr_SetString(PyExc_ValueError, "WordTable.load: not a word table image");
        return NULL;
    }
    ImageHeader h;
    memcpy(&h, image, sizeof(h));
    ImageLayout at = image_layout(h.buckets, h.data_size, h.capacity);
    int fits = memcmp(h.magic, IMAGE_MAGIC, sizeof(IMAGE_MAGIC)) == 0 && h.slot_size == sizeof(Slot)
               && h.byte_order == 0x01020304u && at.total == size;
    int holds = 0;
    if (fits) {
        Py_BEGIN_ALLOW_THREADS
        holds = image_holds(image, &h, at);
        Py_END_ALLOW_THREADS
    }
    WordTable *self = NULL;
    PyObject *values = NULL;
    if (!holds) {
        PyErr_SetString(PyExc_ValueError, "WordTable.load: not a word table image of this build, or damaged");
        goto fail;
    }
    if ((values = PyTuple_New((Py_ssize_t)h.buckets)) == NULL) goto fail;
    for (uint64_t b = 0; b < h.buckets; b++) {
        PyObject *value = Py_None;
        if (image[at.valued + b]) {
            double v;
            memcpy(&v, image + at.values + b * sizeof(double), sizeof(double));
            if ((value = PyFloat_FromDouble(v)) == NULL) goto fail;
        } else {
            Py_INCREF(value);
        }
        PyTuple_SET_ITEM(values, (Py_ssize_t)b, value);
    }
    if ((self = (WordTable *)type->tp_alloc(type, 0)) == NULL) goto fail;
    self->values = values;
    values = NULL;
    self->start = (Py_ssize_t)h.start;
    self->buckets = (Py_ssize_t)h.buckets;
    self->mask = (size_t)h.capacity - 1;
    self->used = (Py_ssize_t)h.used;
    self->data = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)h.data_size);
    self->bucket_starts = PyMem_Malloc(sizeof(uint32_t) * (size_t)(h.buckets > 0 ? h.buckets : 1));
    self->slot_bytes = (size_t)h.capacity * sizeof(Slot);
    self->slots = zeroed(self->slot_bytes);
    if (self->data == NULL || self->bucket_starts == NULL || self->slots == NULL) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto fail;
    }
    char *data = PyBytes_AS_STRING(self->data);
    Py_BEGIN_ALLOW_THREADS
    memcpy(data, image + at.data, (size_t)h.data_size);
    memcpy(self->bucket_starts, image + at.bucket_starts, (size_t)h.buckets * sizeof(uint32_t));
    memcpy(self->slots, image + at.slots, self->slot_bytes);
    Py_END_ALLOW_THREADS
    munmap(image, size);
    return (PyObject *)self;
fail:
    Py_XDECREF(values);
    Py_XDECREF(self);
    munmap(image, size);
    return NULL;
}

static PyObject *table_reduce(WordTable *self, PyObject *unused) {
    (void)unused;
    if (ready(self) < 0) return NULL;
    return Py_BuildValue("(O(OnO))", Py_TYPE(self), self->data, self->start, self->values);
}

static PyMethodDef table_methods[] = {
    {"get", (PyCFunction)(void (*)(void))table_get, METH_FASTCALL, "get(word, default=None)"},
    {"bucket_words", (PyCFunction)table_bucket_words, METH_O, "bucket_words(k) -> bucket k's words, in order"},
    {"final_words", (PyCFunction)table_final_words, METH_O,
     "final_words(k) -> bucket k's words that no later bucket lists again (their value is bucket k's), in order"},
    {"bucket_count", (PyCFunction)table_bucket_count, METH_NOARGS, "how many buckets the list has"},
    {"dump", (PyCFunction)table_dump, METH_NOARGS, "dump() -> bytes: the table's image, for load()"},
    {"load", (PyCFunction)table_load, METH_O | METH_CLASS,
     "load(path) -> WordTable: the table whose image dump() wrote at path (ValueError: no such image)"},
    {"__reduce__", (PyCFunction)table_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyMappingMethods table_mapping = {(lenfunc)table_length, (binaryfunc)table_getitem, NULL};
static PySequenceMethods table_sequence = {.sq_contains = (objobjproc)table_contains};

static PyTypeObject WordTableType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "copydesk._wordtable.WordTable",
    .tp_basicsize = sizeof(WordTable),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_MAPPING,
    .tp_doc = "WordTable(data, offset, values): a msgpack word list's words -> their bucket's value.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)table_init,
    .tp_dealloc = (destructor)table_dealloc,
    .tp_iter = (getiterfunc)table_iter,
    .tp_methods = table_methods,
    .tp_as_mapping = &table_mapping,
    .tp_as_sequence = &table_sequence,
};

static int wordtable_exec(PyObject *module) {
    if (PyType_Ready(&WordTableType) < 0) return -1;
    if (PyModule_AddIntConstant(module, "IMAGE_VERSION", IMAGE_VERSION) < 0) return -1;
    return PyModule_AddObjectRef(module, "WordTable", (PyObject *)&WordTableType);
}

static PyModuleDef_Slot wordtable_slots[] = {{Py_mod_exec, wordtable_exec}, {0, NULL}};

static struct PyModuleDef wordtable_module = {
    PyModuleDef_HEAD_INIT, "copydesk._wordtable", "A word list's frequencies looked up in place.", 0, NULL,
    wordtable_slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__wordtable(void) { return PyModuleDef_Init(&wordtable_module); }
