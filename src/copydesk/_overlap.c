/* copydesk._overlap: how much two sequences share, for the stories stage's copy checks.
 *
 * shared_count(a, b): how many values two sorted arrays of distinct 64-bit ints (shingle prints) have
 * in common; the near-copy check counts this for every LSH candidate of every new article, and numpy's
 * intersect1d spends most of its time building arrays it then only measures.
 * matching_blocks(a, b): difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() (the
 * same blocks: the longest match first, earliest in a, then in b, then the same on each side of it),
 * which the evidence of every copy asks of its words and the original's; matched_total(a, b): their total
 * size, which the rewrite check asks of every aligned sentence pair's grammar words.
 * best_matches: for each sentence of one text, the sentence of the other sharing most of its anchors
 * (bit rows; each anchor's sentences in the other text added up), the inner loop of every sentence alignment; anchor_reach and increasing_chain:
 * the alignment bound's counts and the chain of matches in order; aligned_chain: the three steps of
 * an alignment's count (best matches, their chain, the sentences it sandwiches) in one call;
 * relation_screen: which of a story's pairs the copy-family loop must judge (bound and alignment).
 * pair_estimates: MinHash estimates of many (row, row) pairs of two signature matrices, the near-copy
 * ranking's inner loop (copydesk.stories.near_copies.estimated_jaccards is its reference).
 * Python references: copydesk.fingerprint.lsh.python_shared_count and
 * copydesk.stories.sentence_align.python_matched_total, python_matching_blocks in copydesk.fingerprint.lsh;
 * tests hold them equal.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The functions that count anchor bits are built twice where GCC can dispatch at load time (x86-64
 * Linux): with the processor's popcount instruction, and without it for a processor that lacks it.
 * Without the instruction every __builtin_popcountll is a call into libgcc (0.9% of the CPU of
 * ingest -> stories on 600-word reports). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define BIT_COUNTING __attribute__((target_clones("popcnt", "default")))
#else
#define BIT_COUNTING
#endif

/* A contiguous buffer of ``itemsize``-byte items of one of ``formats`` (struct codes), or an error. */
static int typed_view(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, const char *formats, int writable) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    const char *format = view->format ? view->format : "B";
    if (format[0] == '<' || format[0] == '=' || format[0] == '@') format++;
    if (view->itemsize != itemsize || strlen(format) != 1 || strchr(formats, format[0]) == NULL) {
        PyErr_Format(PyExc_TypeError, "expected a contiguous buffer of %zd-byte items ('%s')", itemsize, formats);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int int64_view(PyObject *obj, Py_buffer *view) { return typed_view(obj, view, 8, "ql", 0); }

/* How many values two sorted arrays of distinct values share. With ``need`` > 0 the count stops as
 * soon as it reaches ``need``, or cannot (fewer values left on one side than are still missing), and
 * then says only that: the near-copy check asks whether it does, and most candidates fail early.
 * The merge steps without branches (both sides advance on equal values), so the processor does not
 * mispredict the comparison of unrelated hashes, half the time; the stops are checked every
 * ``MERGE_STRIDE`` steps. */
#define MERGE_STRIDE 16
static Py_ssize_t count_shared(const int64_t *a, Py_ssize_t na, const int64_t *b, Py_ssize_t nb, Py_ssize_t need) {
    if (need > 0 && (na < need || nb < need || a[na - 1] < b[0] || b[nb - 1] < a[0])) return 0;
    Py_ssize_t i = 0, j = 0, shared = 0;
    while (i < na && j < nb) {
        /* a stretch of steps that cannot run past either end: each step moves i or j (or both) */
        Py_ssize_t left = na - i < nb - j ? na - i : nb - j;
        Py_ssize_t steps = left < MERGE_STRIDE ? left : MERGE_STRIDE;
        for (Py_ssize_t k = 0; k < steps; k++) {
            int64_t x = a[i], y = b[j];
            shared += x == y;
            i += x <= y;
            j += y <= x;
        }
        if (need > 0) {
            if (shared >= need) return shared;
            if (shared + (na - i < nb - j ? na - i : nb - j) < need) return shared;
        }
    }
    return shared;
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
    Py_ssize_t shared = count_shared((const int64_t *)va.buf, va.len / 8, (const int64_t *)vb.buf, vb.len / 8, 0);
    PyBuffer_Release(&va);
    PyBuffer_Release(&vb);
    return PyLong_FromSsize_t(shared);
}

#define SEEN_WORDS 256 /* 16,384 bits */

/* first_sharing(mine, theirs, threshold): the position of the first array of ``theirs`` (None
 * entries skipped) sharing at least ``threshold`` times the smaller set's size with ``mine``, and at
 * least one value; -1 for none (copydesk.fingerprint.lsh.python_first_sharing). The near-copy check
 * asks it of every new article's candidates, best first. */
static PyObject *first_sharing(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3 || !PyList_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "first_sharing(mine, theirs: list, threshold)");
        return NULL;
    }
    double threshold = PyFloat_AsDouble(args[2]);
    if (threshold == -1.0 && PyErr_Occurred()) return NULL;
    Py_buffer va;
    if (int64_view(args[0], &va) < 0) return NULL;
    const int64_t *a = (const int64_t *)va.buf;
    Py_ssize_t na = va.len / 8, found = -1;
    /* ``mine``'s values as bits of a small map (their low bits: the values are mixed hashes), made at
     * the first candidate: a candidate's values that hit it bound how many it shares, so a
     * candidate that cannot reach ``need`` is dropped without the merge (most of them: LSH
     * candidates of reports that share phrases, a tenth of their shingles) */
    uint64_t seen[SEEN_WORDS];
    int mapped = 0;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(args[1]) && found < 0; k++) {
        PyObject *item = PyList_GET_ITEM(args[1], k);
        if (item == Py_None) continue;
        Py_buffer vb;
        if (int64_view(item, &vb) < 0) {
            PyBuffer_Release(&va);
            return NULL;
        }
        Py_ssize_t nb = vb.len / 8;
        const int64_t *b = (const int64_t *)vb.buf;
        /* shared > 0 and shared >= threshold * the smaller size, as the least whole count */
        double bound = ceil(threshold * (double)(na < nb ? na : nb));
        Py_ssize_t need = bound > 1.0 ? (Py_ssize_t)bound : 1;
        if (!mapped) {
            memset(seen, 0, sizeof(seen));
            for (Py_ssize_t i = 0; i < na; i++) seen[((uint64_t)a[i] >> 6) % SEEN_WORDS] |= 1ULL << ((uint64_t)a[i] & 63);
            mapped = 1;
        }
        Py_ssize_t hits = 0;
        for (Py_ssize_t j = 0; j < nb; j++) hits += (seen[((uint64_t)b[j] >> 6) % SEEN_WORDS] >> ((uint64_t)b[j] & 63)) & 1;
        Py_ssize_t shared = hits < need ? 0 : count_shared(a, na, b, nb, need);
        PyBuffer_Release(&vb);
        if (shared >= need) found = k;
    }
    PyBuffer_Release(&va);
    return PyLong_FromSsize_t(found);
}

/* splitmix64's finaliser (copydesk.fingerprint.minhash._mix) */
static inline uint64_t mix64(uint64_t z, uint64_t m1, uint64_t m2) {
    z *= m1;
    z ^= z >> 31;
    z *= m2;
    z ^= z >> 29;
    return z;
}

/* shingle_hashes(encoded, word_byte, coefs, prime, mix1, mix2) -> (bytearray, bytearray)
 * copydesk.fingerprint.minhash.MinHasher._block_hashes after its encoding step, per text: the words
 * are runs of bytes ``word_byte`` marks (a 256-byte table), each hashed as mix(sum of (byte + 1) *
 * prime**j over its bytes), and every k-word window (k = len(coefs)) as mix(sum of word hash * coef
 * in order); a text of fewer than k words gives one shingle of all its words, an empty one none.
 * Returns the shingle hashes end to end (uint64) and each text's first shingle (int64), as bytearrays
 * (numpy reads them in place, writable). The
 * arithmetic wraps at 2**64, as numpy's does, so the hashes are the numpy path's to the bit (tests
 * hold them so); a 600-word text costs a tenth of the array operations. */
static PyObject *shingle_hashes(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 6 || !PyList_Check(args[0]) || !PyBytes_Check(args[1]) || PyBytes_GET_SIZE(args[1]) != 256) {
        PyErr_SetString(PyExc_TypeError,
                        "shingle_hashes(encoded: list[bytes], word_byte: 256 bytes, coefs, prime, mix1, mix2)");
        return NULL;
    }
    const unsigned char *word_byte = (const unsigned char *)PyBytes_AS_STRING(args[1]);
    uint64_t prime = PyLong_AsUnsignedLongLongMask(args[3]), m1 = PyLong_AsUnsignedLongLongMask(args[4]);
    uint64_t m2 = PyLong_AsUnsignedLongLongMask(args[5]);
    if (PyErr_Occurred()) return NULL;
    Py_buffer coef_view;
    if (typed_view(args[2], &coef_view, 8, "QLl", 0) < 0) return NULL;
    const uint64_t *coefs = (const uint64_t *)coef_view.buf;
    Py_ssize_t k = coef_view.len / 8, n_texts = PyList_GET_SIZE(args[0]), total_bytes = 0;
    PyObject *result = NULL, *shingles = NULL, *offsets = NULL;
    uint64_t *words = NULL;
    if (k <= 0) {
        PyErr_SetString(PyExc_ValueError, "shingle_hashes: at least one coefficient");
        goto done;
    }
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *item = PyList_GET_ITEM(args[0], t);
        if (!PyBytes_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "shingle_hashes: encoded texts must be bytes");
            goto done;
        }
        total_bytes += PyBytes_GET_SIZE(item);
    }
    /* at most one word per two bytes, one shingle per word (or one for a short text) */
    words = PyMem_Malloc(sizeof(uint64_t) * (size_t)(total_bytes / 2 + 1));
    shingles = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)sizeof(uint64_t) * (total_bytes / 2 + n_texts + 1));
    offsets = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)sizeof(int64_t) * n_texts);
    if (words == NULL || shingles == NULL || offsets == NULL) {
        if (words == NULL) PyErr_NoMemory();
        goto done;
    }
    uint64_t *out = (uint64_t *)PyByteArray_AS_STRING(shingles);
    int64_t *starts = (int64_t *)PyByteArray_AS_STRING(offsets);
    Py_ssize_t made = 0;
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *item = PyList_GET_ITEM(args[0], t);
        const unsigned char *bytes = (const unsigned char *)PyBytes_AS_STRING(item);
        Py_ssize_t size = PyBytes_GET_SIZE(item), n_words = 0, i = 0;
        while (i < size) {
            if (!word_byte[bytes[i]]) {
                i++;
                continue;
            }
            uint64_t sum = 0, power = 1;
            for (; i < size && word_byte[bytes[i]]; i++) {
                sum += ((uint64_t)bytes[i] + 1) * power;
                power *= prime;
            }
            words[n_words++] = mix64(sum, m1, m2);
        }
        starts[t] = (int64_t)made;
        if (n_words == 0) continue;
        if (n_words < k) {
            uint64_t acc = 0;
            for (Py_ssize_t j = 0; j < n_words; j++) acc += words[j] * coefs[j];
            out[made++] = mix64(acc, m1, m2);
            continue;
        }
        for (Py_ssize_t w = 0; w + k <= n_words; w++) {
            uint64_t acc = 0;
            for (Py_ssize_t j = 0; j < k; j++) acc += words[w + j] * coefs[j];
            out[made++] = mix64(acc, m1, m2);
        }
    }
    if (PyByteArray_Resize(shingles, (Py_ssize_t)sizeof(uint64_t) * made) < 0) goto done;
    result = PyTuple_Pack(2, shingles, offsets);
done:
    PyMem_Free(words);
    Py_XDECREF(shingles);
    Py_XDECREF(offsets);
    PyBuffer_Release(&coef_view);
    return result;
}

/* pair_estimates(out, mine, my_rows, theirs, their_rows, width, empty): for each pair k, the estimated
 * Jaccard of row my_rows[k] of ``mine`` against row their_rows[k] of ``theirs`` (uint32 signatures of
 * ``width`` slots): equal slots over the slots not empty on both sides, 0 when none: what
 * copydesk.stories.near_copies.estimated_jaccards gives for signatures as MinHasher makes them (every
 * slot filled, or every slot empty), without gathering the rows first (the near-copy ranking of a 20k
 * run estimates a million pairs). */
/* sign_shingles(shingles, offsets, salt, spread, mix1, mix2, out) -> None:
 * copydesk.fingerprint.minhash.MinHasher.sign_shingles' numpy path, text by text: each shingle hash
 * mixed with ``salt`` picks a slot (its value modulo the row's width) and keeps the least of its
 * high 32 bits there (at most 0xFFFFFFFE); a row left with empty slots (0xFFFFFFFF) but not wholly
 * empty fills each from the nearest filled slot to its right, wrapping, salted by the distance
 * (mix(value + distance * spread), high 32 bits: rotation densification). ``out``: an n x width
 * uint32 array, n = len(offsets) (the shingles of text t start at offsets[t]). The numpy path made
 * a dozen temporary arrays of a block's 40k shingles, and a densification pass over every row. */
static PyObject *sign_shingles(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "sign_shingles(shingles, offsets, salt, spread, mix1, mix2, out)");
        return NULL;
    }
    uint64_t salt = PyLong_AsUnsignedLongLongMask(args[2]), spread = PyLong_AsUnsignedLongLongMask(args[3]);
    uint64_t m1 = PyLong_AsUnsignedLongLongMask(args[4]), m2 = PyLong_AsUnsignedLongLongMask(args[5]);
    if (PyErr_Occurred()) return NULL;
    Py_buffer views[3];
    PyObject *sources[3] = {args[0], args[1], args[6]};
    for (int v = 0; v < 3; v++) {
        int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (v == 2 ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(sources[v], &views[v], flags) < 0) {
            for (int u = 0; u < v; u++) PyBuffer_Release(&views[u]);
            return NULL;
        }
    }
    PyObject *result = NULL;
    Py_ssize_t count = views[0].len / 8, n = views[1].len / 8;
    Py_ssize_t width = n > 0 ? views[2].len / 4 / n : 0;
    const uint64_t *shingles = views[0].buf;
    const int64_t *offsets = views[1].buf;
    uint32_t *out = views[2].buf;
    int ok = views[0].itemsize == 8 && views[1].itemsize == 8 && views[2].itemsize == 4 &&
             (n == 0 || (width > 0 && views[2].len == n * width * 4));
    for (Py_ssize_t t = 0; ok && t < n; t++) {
        int64_t start = offsets[t], end = t + 1 < n ? offsets[t + 1] : (int64_t)count;
        ok = 0 <= start && start <= end && end <= count;
    }
    if (!ok) {
        PyErr_SetString(PyExc_ValueError,
                        "sign_shingles: uint64 shingles, int64 offsets into them in order, out n x width uint32");
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    /* a power-of-two width (128, the default) takes the slot with a mask: the same remainder,
     * without a division per shingle */
    uint64_t mask = width > 0 && (width & (width - 1)) == 0 ? (uint64_t)width - 1 : 0;
    for (Py_ssize_t t = 0; t < n; t++) {
        uint32_t *row = out + t * width;
        for (Py_ssize_t w = 0; w < width; w++) row[w] = 0xFFFFFFFFu;
        int64_t start = offsets[t], end = t + 1 < n ? offsets[t + 1] : (int64_t)count;
        for (int64_t k = start; k < end; k++) {
            uint64_t hashed = mix64(shingles[k] ^ salt, m1, m2);
            uint32_t value = (uint32_t)(hashed >> 32);
            if (value == 0xFFFFFFFFu) value = 0xFFFFFFFEu;
            uint32_t *slot = row + (Py_ssize_t)(mask ? hashed & mask : hashed % (uint64_t)width);
            if (value < *slot) *slot = value;
        }
        Py_ssize_t filled = 0;
        for (Py_ssize_t w = 0; w < width; w++) filled += row[w] != 0xFFFFFFFFu;
        if (filled == 0 || filled == width) continue;
        /* each empty slot from the nearest filled one to its right, wrapping round (filled slots are
         * never written, so the row is read as it was: walking down from the end, ``next`` is the
         * nearest filled slot at or past the current one, counted on past the end) */
        Py_ssize_t first = 0;
        while (row[first] == 0xFFFFFFFFu) first++;
        Py_ssize_t next = width + first;
        for (Py_ssize_t w = width - 1; w >= 0; w--) {
            if (row[w] != 0xFFFFFFFFu) {
                next = w;
                continue;
            }
            uint64_t borrowed = row[next % width], distance = (uint64_t)(next - w);
            uint32_t salted = (uint32_t)(mix64(borrowed + distance * spread, m1, m2) >> 32);
            row[w] = salted == 0xFFFFFFFFu ? 0xFFFFFFFEu : salted;
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    for (int v = 0; v < 3; v++) PyBuffer_Release(&views[v]);
    return result;
}

static PyObject *pair_estimates(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "pair_estimates(out, mine, my_rows, theirs, their_rows, width, empty)");
        return NULL;
    }
    Py_ssize_t width = PyLong_AsSsize_t(args[5]);
    if (width == -1 && PyErr_Occurred()) return NULL;
    unsigned long empty_value = PyLong_AsUnsignedLong(args[6]);
    if (empty_value == (unsigned long)-1 && PyErr_Occurred()) return NULL;
    if (width <= 0) {
        PyErr_SetString(PyExc_ValueError, "pair_estimates: width must be positive");
        return NULL;
    }
    const uint32_t empty = (uint32_t)empty_value;
    Py_buffer views[5];
    int got = 0;
    PyObject *result = NULL;
    if (typed_view(args[0], &views[0], 8, "d", 1) < 0) goto done;
    got = 1;
    if (typed_view(args[1], &views[1], 4, "IL", 0) < 0) goto done;
    got = 2;
    if (typed_view(args[2], &views[2], 8, "qlQ", 0) < 0) goto done;
    got = 3;
    if (typed_view(args[3], &views[3], 4, "IL", 0) < 0) goto done;
    got = 4;
    if (typed_view(args[4], &views[4], 8, "qlQ", 0) < 0) goto done;
    got = 5;
    Py_ssize_t pairs = views[0].len / 8;
    Py_ssize_t mine_rows = views[1].len / 4 / width, their_count = views[3].len / 4 / width;
    if (views[2].len / 8 != pairs || views[4].len / 8 != pairs || views[1].len % (4 * width) ||
        views[3].len % (4 * width)) {
        PyErr_SetString(PyExc_ValueError, "pair_estimates: sizes do not match");
        goto done;
    }
    double *out = (double *)views[0].buf;
    const uint32_t *mine = (const uint32_t *)views[1].buf, *theirs = (const uint32_t *)views[3].buf;
    const int64_t *my_rows = (const int64_t *)views[2].buf, *their_rows = (const int64_t *)views[4].buf;
    for (Py_ssize_t k = 0; k < pairs; k++) {
        if (my_rows[k] < 0 || my_rows[k] >= mine_rows || their_rows[k] < 0 || their_rows[k] >= their_count) {
            PyErr_SetString(PyExc_IndexError, "pair_estimates: row out of range");
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t k = 0; k < pairs; k++) {
        const uint32_t *a = mine + my_rows[k] * width, *b = theirs + their_rows[k] * width;
        /* equal slots, and slots empty on both sides (equal, but not counted): two plain counts the
         * compiler turns into vector instructions */
        uint32_t equal = 0, both_empty = 0;
        for (Py_ssize_t s = 0; s < width; s++) {
            equal += a[s] == b[s];
            both_empty += (a[s] == empty) & (b[s] == empty);
        }
        Py_ssize_t valid = width - both_empty;
        out[k] = valid > 0 ? (double)(equal - both_empty) / (double)valid : 0.0;
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    for (int i = 0; i < got; i++) PyBuffer_Release(&views[i]);
    return result;
}

/* The items of two sequences as small ints, equal ints for equal items (a dict from item to int). */
static int item_ids(PyObject *a, PyObject *b, Py_ssize_t *ia, Py_ssize_t *ib, Py_ssize_t *distinct) {
    PyObject *ids = PyDict_New();
    if (ids == NULL) return -1;
    PyObject *seqs[2] = {a, b};
    Py_ssize_t *outs[2] = {ia, ib};
    for (int s = 0; s < 2; s++) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seqs[s]);
        PyObject **items = PySequence_Fast_ITEMS(seqs[s]);
        for (Py_ssize_t k = 0; k < n; k++) {
            PyObject *found = PyDict_GetItemWithError(ids, items[k]);
            if (found == NULL) {
                if (PyErr_Occurred()) {
                    Py_DECREF(ids);
                    return -1;
                }
                PyObject *id = PyLong_FromSsize_t(PyDict_GET_SIZE(ids));
                if (id == NULL || PyDict_SetItem(ids, items[k], id) < 0) {
                    Py_XDECREF(id);
                    Py_DECREF(ids);
                    return -1;
                }
                Py_DECREF(id);
                found = PyDict_GetItemWithError(ids, items[k]);
            }
            outs[s][k] = PyLong_AsSsize_t(found);
        }
    }
    *distinct = PyDict_GET_SIZE(ids);
    Py_DECREF(ids);
    return 0;
}

typedef struct {
    Py_ssize_t a, b, size;
} Block;

typedef struct {
    Py_ssize_t alo, ahi, blo, bhi;
} Span;

/* difflib.SequenceMatcher(None, a, b, autojunk=False)'s matching blocks before sorting: the longest
 * match in the whole range (the earliest in a, then in b), then the same on each side of it. The
 * positions of each item in b are listed once (as difflib's b2j), so a cell is visited only where
 * the two items are equal. Returns the number of blocks written to out (at most min(la, lb)). */
static Py_ssize_t find_blocks(const Py_ssize_t *A, Py_ssize_t la, const Py_ssize_t *B, Py_ssize_t lb,
                              Py_ssize_t distinct, Block *out, Py_ssize_t *work) {
    /* work: distinct + 1 offsets, lb positions, 2 * lb run lengths, 2 * lb touched, 2 * la spans */
    Py_ssize_t *start = work, *where = start + distinct + 1, *previous = where + lb, *current = previous + lb;
    Py_ssize_t *touched_prev = current + lb, *touched_cur = touched_prev + lb;
    Span *stack = (Span *)(touched_cur + lb);
    for (Py_ssize_t v = 0; v <= distinct; v++) start[v] = 0;
    for (Py_ssize_t j = 0; j < lb; j++) start[B[j] + 1]++;
    for (Py_ssize_t v = 0; v < distinct; v++) start[v + 1] += start[v];
    for (Py_ssize_t j = 0; j < lb; j++) where[start[B[j]]++] = j; /* start[v] now ends v's run */
    for (Py_ssize_t v = distinct; v > 0; v--) start[v] = start[v - 1];
    start[0] = 0;
    for (Py_ssize_t j = 0; j < lb; j++) previous[j] = current[j] = 0;
    Py_ssize_t found = 0, depth = 0;
    stack[depth++] = (Span){0, la, 0, lb};
    while (depth > 0) {
        Span span = stack[--depth];
        Py_ssize_t besti = span.alo, bestj = span.blo, bestsize = 0, n_prev = 0;
        for (Py_ssize_t i = span.alo; i < span.ahi; i++) {
            Py_ssize_t n_cur = 0, v = A[i];
            if (v < distinct) {
                for (Py_ssize_t p = start[v]; p < start[v + 1]; p++) {
                    Py_ssize_t j = where[p];
                    if (j < span.blo) continue;
                    if (j >= span.bhi) break;
                    Py_ssize_t k = (j > 0 ? previous[j - 1] : 0) + 1;
                    current[j] = k;
                    touched_cur[n_cur++] = j;
                    if (k > bestsize) {
                        besti = i - k + 1;
                        bestj = j - k + 1;
                        bestsize = k;
                    }
                }
            }
            for (Py_ssize_t t = 0; t < n_prev; t++) previous[touched_prev[t]] = 0;
            Py_ssize_t *swap = previous;
            previous = current;
            current = swap;
            swap = touched_prev;
            touched_prev = touched_cur;
            touched_cur = swap;
            n_prev = n_cur;
        }
        for (Py_ssize_t t = 0; t < n_prev; t++) previous[touched_prev[t]] = 0;
        if (bestsize == 0) continue;
        out[found++] = (Block){besti, bestj, bestsize};
        if (span.alo < besti && span.blo < bestj) stack[depth++] = (Span){span.alo, besti, span.blo, bestj};
        if (besti + bestsize < span.ahi && bestj + bestsize < span.bhi)
            stack[depth++] = (Span){besti + bestsize, span.ahi, bestj + bestsize, span.bhi};
    }
    return found;
}

/* The blocks of two sequences (fast-sequence objects), or -1 with an exception set. */
static Py_ssize_t blocks_of(PyObject *a, PyObject *b, Block **blocks) {
    Py_ssize_t la = PySequence_Fast_GET_SIZE(a), lb = PySequence_Fast_GET_SIZE(b), distinct = 0;
    *blocks = NULL;
    if (la == 0 || lb == 0) return 0;
    Py_ssize_t *ids = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(la + lb));
    Py_ssize_t *work = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(la + lb + 1 + 5 * lb) + sizeof(Span) * 2 * (size_t)(la + 1));
    *blocks = PyMem_Malloc(sizeof(Block) * (size_t)(la + 1));
    if (ids == NULL || work == NULL || *blocks == NULL) {
        PyMem_Free(ids);
        PyMem_Free(work);
        PyMem_Free(*blocks);
        *blocks = NULL;
        PyErr_NoMemory();
        return -1;
    }
    if (item_ids(a, b, ids, ids + la, &distinct) < 0) {
        PyMem_Free(ids);
        PyMem_Free(work);
        PyMem_Free(*blocks);
        *blocks = NULL;
        return -1;
    }
    /* work must hold distinct + 1 offsets: distinct <= la + lb */
    Py_ssize_t found = find_blocks(ids, la, ids + la, lb, distinct, *blocks, work);
    PyMem_Free(ids);
    PyMem_Free(work);
    return found;
}

static int fast_pair(PyObject *const *args, Py_ssize_t nargs, const char *name, PyObject **a, PyObject **b) {
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "%s(a, b) takes two sequences", name);
        return -1;
    }
    *a = PySequence_Fast(args[0], "a must be a sequence");
    if (*a == NULL) return -1;
    *b = PySequence_Fast(args[1], "b must be a sequence");
    if (*b == NULL) {
        Py_DECREF(*a);
        return -1;
    }
    return 0;
}

static PyObject *matched_total(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    PyObject *a, *b;
    if (fast_pair(args, nargs, "matched_total", &a, &b) < 0) return NULL;
    Block *blocks;
    Py_ssize_t found = blocks_of(a, b, &blocks);
    Py_DECREF(a);
    Py_DECREF(b);
    if (found < 0) return NULL;
    Py_ssize_t total = 0;
    for (Py_ssize_t k = 0; k < found; k++) total += blocks[k].size;
    PyMem_Free(blocks);
    return PyLong_FromSsize_t(total);
}

static int block_order(const void *x, const void *y) {
    const Block *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    return p->size < q->size ? -1 : (p->size > q->size);
}

static PyObject *matching_blocks(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    PyObject *a, *b;
    if (fast_pair(args, nargs, "matching_blocks", &a, &b) < 0) return NULL;
    Py_ssize_t la = PySequence_Fast_GET_SIZE(a), lb = PySequence_Fast_GET_SIZE(b);
    Block *blocks;
    Py_ssize_t found = blocks_of(a, b, &blocks);
    Py_DECREF(a);
    Py_DECREF(b);
    if (found < 0) return NULL;
    if (found > 1) qsort(blocks, (size_t)found, sizeof(Block), block_order); /* no blocks: no array at all */
    PyObject *out = PyList_New(0);
    Py_ssize_t i1 = 0, j1 = 0, k1 = 0;
    for (Py_ssize_t n = 0; out != NULL && n <= found; n++) {
        /* adjacent blocks joined, as difflib does; the last (la, lb, 0) is its sentinel */
        Block next = n < found ? blocks[n] : (Block){la, lb, 0};
        if (n < found && i1 + k1 == next.a && j1 + k1 == next.b) {
            k1 += next.size;
            continue;
        }
        if (k1) {
            PyObject *item = Py_BuildValue("(nnn)", i1, j1, k1);
            if (item == NULL || PyList_Append(out, item) < 0) Py_CLEAR(out);
            Py_XDECREF(item);
        }
        i1 = next.a;
        j1 = next.b;
        k1 = next.size;
    }
    PyMem_Free(blocks);
    if (out == NULL) return NULL;
    PyObject *sentinel = Py_BuildValue("(nnn)", la, lb, (Py_ssize_t)0);
    if (sentinel == NULL || PyList_Append(out, sentinel) < 0) {
        Py_XDECREF(sentinel);
        Py_DECREF(out);
        return NULL;
    }
    Py_DECREF(sentinel);
    return out;
}

/* For each sentence of a with at least min_anchors anchors: the sentence of b (with as many) that
 * shares the largest part of the smaller anchor set, at least min_anchors anchors shared, the first
 * such on a tie; as (i, j, score). Sentences are rows of 64-bit words of anchor bits (a_words and
 * b_words per row: bits past a row's width are zero), counts their anchor counts (int32). */
/* Two outlines' rows and counts as best_matches and aligned_chain take them: (a_bits, a_words,
 * a_counts, b_bits, b_words, b_counts, min_anchors), the buffers held until outline_pair_release. */
typedef struct {
    Py_buffer views[4];
    const uint64_t *a_bits, *b_bits;
    const int32_t *a_counts, *b_counts;
    Py_ssize_t na, nb, a_words, b_words, width;
    long min_anchors;
} OutlinePair;

static void outline_pair_release(OutlinePair *pair) {
    for (int v = 0; v < 4; v++) PyBuffer_Release(&pair->views[v]);
}

/* Reads the seven arguments into ``pair``; returns -1 with an exception set (nothing held) on error. */
static int outline_pair(PyObject *const *args, Py_ssize_t nargs, const char *name, OutlinePair *pair) {
    if (nargs != 7) {
        PyErr_Format(PyExc_TypeError, "%s(a_bits, a_words, a_counts, b_bits, b_words, b_counts, min_anchors)",
                     name);
        return -1;
    }
    pair->a_words = PyLong_AsSsize_t(args[1]);
    pair->b_words = PyLong_AsSsize_t(args[4]);
    pair->min_anchors = PyLong_AsLong(args[6]);
    if (PyErr_Occurred()) return -1;
    PyObject *sources[4] = {args[0], args[2], args[3], args[5]};
    for (int v = 0; v < 4; v++) {
        if (PyObject_GetBuffer(sources[v], &pair->views[v], PyBUF_C_CONTIGUOUS) < 0) {
            for (int u = 0; u < v; u++) PyBuffer_Release(&pair->views[u]);
            return -1;
        }
    }
    pair->na = pair->views[1].len / 4;
    pair->nb = pair->views[3].len / 4;
    if (pair->a_words < 0 || pair->b_words < 0 || pair->views[0].len != pair->na * pair->a_words * 8 ||
        pair->views[2].len != pair->nb * pair->b_words * 8) {
        PyErr_Format(PyExc_ValueError, "%s: rows and counts do not agree", name);
        outline_pair_release(pair);
        return -1;
    }
    pair->a_bits = pair->views[0].buf;
    pair->a_counts = pair->views[1].buf;
    pair->b_bits = pair->views[2].buf;
    pair->b_counts = pair->views[3].buf;
    pair->width = pair->a_words < pair->b_words ? pair->a_words : pair->b_words;
    return 0;
}

/* Which sentences of b hold each anchor bit (b's sentences with min_anchors anchors, the bits of the
 * first ``width`` words): the best match of a sentence of a then adds up its few anchors' postings
 * instead of and-ing its row with every row of b (a 600-word text has ~45 sentences over ~600 bits of
 * a story's anchors, a handful of them set in each). Room for ``bits`` bits, ``sentences`` sentences
 * and ``postings`` postings, filled by ``anchor_index_fill``; an index over more words than a pair's
 * common width serves it too (its lookups read the bits of that width only). */
typedef struct {
    Py_ssize_t *start;  /* bits + 1 offsets into ``rows`` */
    Py_ssize_t *rows;   /* the sentences of b, bit by bit, each bit's in ascending order */
    Py_ssize_t *fill;   /* bits: where each bit's next posting goes */
    Py_ssize_t *shared; /* sentences: counters, zero between lookups */
    Py_ssize_t *touched;
} AnchorIndex;

static void anchor_index_free(AnchorIndex *index) {
    PyMem_Free(index->start);
    PyMem_Free(index->rows);
    PyMem_Free(index->fill);
    PyMem_Free(index->shared);
    PyMem_Free(index->touched);
}

static int anchor_index_alloc(AnchorIndex *index, Py_ssize_t bits, Py_ssize_t sentences, Py_ssize_t postings) {
    index->start = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(bits + 1));
    index->fill = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(bits + 1));
    index->rows = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(postings + 1));
    index->shared = PyMem_Calloc((size_t)(sentences + 1), sizeof(Py_ssize_t));
    index->touched = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(sentences + 1));
    if (index->start && index->fill && index->rows && index->shared && index->touched) return 0;
    anchor_index_free(index);
    PyErr_NoMemory();
    return -1;
}

/* Set bits of b's sentences with min_anchors anchors, over the first ``width`` words of their rows. */
BIT_COUNTING static Py_ssize_t anchor_postings(const OutlinePair *p) {
    Py_ssize_t total = 0;
    for (Py_ssize_t j = 0; j < p->nb; j++) {
        if (p->b_counts[j] < p->min_anchors) continue;
        for (Py_ssize_t w = 0; w < p->width; w++) total += __builtin_popcountll(p->b_bits[j * p->b_words + w]);
    }
    return total;
}

/* ``index`` (room for width * 64 bits, nb sentences and their postings) filled for pair ``p``. */
static void anchor_index_fill(const OutlinePair *p, AnchorIndex *index) {
    Py_ssize_t bits = p->width * 64;
    memset(index->start, 0, sizeof(Py_ssize_t) * (size_t)(bits + 1));
    for (Py_ssize_t j = 0; j < p->nb; j++) {
        if (p->b_counts[j] < p->min_anchors) continue;
        for (Py_ssize_t w = 0; w < p->width; w++) {
            for (uint64_t m = p->b_bits[j * p->b_words + w]; m; m &= m - 1) index->start[w * 64 + __builtin_ctzll(m) + 1]++;
        }
    }
    for (Py_ssize_t k = 0; k < bits; k++) index->start[k + 1] += index->start[k];
    memcpy(index->fill, index->start, sizeof(Py_ssize_t) * (size_t)bits);
    for (Py_ssize_t j = 0; j < p->nb; j++) {
        if (p->b_counts[j] < p->min_anchors) continue;
        for (Py_ssize_t w = 0; w < p->width; w++) {
            for (uint64_t m = p->b_bits[j * p->b_words + w]; m; m &= m - 1) {
                index->rows[index->fill[w * 64 + __builtin_ctzll(m)]++] = j;
            }
        }
    }
}

/* anchor_index_alloc sized for ``p`` alone, then filled. */
static int anchor_index(const OutlinePair *p, AnchorIndex *index) {
    if (anchor_index_alloc(index, p->width * 64, p->nb, anchor_postings(p)) < 0) return -1;
    anchor_index_fill(p, index);
    return 0;
}

/* For sentence i of a (with min_anchors anchors), the first sentence of b (with as many) sharing the
 * largest part of the smaller anchor set, min_anchors shared at least: its index and score, or -1. */
static Py_ssize_t best_match_of(const OutlinePair *p, const AnchorIndex *index, Py_ssize_t i, double *best_out) {
    const uint64_t *row = p->a_bits + i * p->a_words;
    int32_t count = p->a_counts[i];
    Py_ssize_t *shared = index->shared, *touched = index->touched, seen = 0;
    for (Py_ssize_t w = 0; w < p->width; w++) {
        for (uint64_t m = row[w]; m; m &= m - 1) {
            Py_ssize_t bit = w * 64 + __builtin_ctzll(m);
            for (Py_ssize_t k = index->start[bit]; k < index->start[bit + 1]; k++) {
                Py_ssize_t j = index->rows[k];
                if (shared[j]++ == 0) touched[seen++] = j;
            }
        }
    }
    double best = 0.0;
    Py_ssize_t best_j = -1;
    for (Py_ssize_t t = 0; t < seen; t++) {
        Py_ssize_t j = touched[t], size = shared[j];
        shared[j] = 0;
        if (size < p->min_anchors) continue;
        double score = (double)size / (double)(count < p->b_counts[j] ? count : p->b_counts[j]);
        if (score > best || (score == best && best_j >= 0 && j < best_j)) {
            best = score;
            best_j = j;
        }
    }
    *best_out = best;
    return best_j;
}

static PyObject *best_matches(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    OutlinePair p;
    if (outline_pair(args, nargs, "best_matches", &p) < 0) return NULL;
    AnchorIndex index;
    if (anchor_index(&p, &index) < 0) {
        outline_pair_release(&p);
        return NULL;
    }
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out != NULL && i < p.na; i++) {
        if (p.a_counts[i] < p.min_anchors) continue;
        double best;
        Py_ssize_t best_j = best_match_of(&p, &index, i, &best);
        if (best_j < 0) continue;
        PyObject *item = Py_BuildValue("(nnd)", i, best_j, best);
        if (item == NULL || PyList_Append(out, item) < 0) Py_CLEAR(out);
        Py_XDECREF(item);
    }
    anchor_index_free(&index);
    outline_pair_release(&p);
    return out;
}

/* The positions (into targets) of the longest chain of increasing targets, written to chain; its length.
 * For each match the longest chain ending there, from the first earlier match that gives it; the chain
 * ends at the first match of greatest length. work: 2n slots. */
static Py_ssize_t longest_chain(const Py_ssize_t *target, Py_ssize_t n, Py_ssize_t *work, Py_ssize_t *chain) {
    Py_ssize_t *length = work, *previous = work + n, end = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        /* the first earlier match of the longest chain below target[i] (a match past it counts as
         * a chain of 0), written for conditional moves: the branches mispredicted half the time */
        Py_ssize_t t = target[i], best = 0, from = -1;
        for (Py_ssize_t j = 0; j < i; j++) {
            Py_ssize_t reach = target[j] < t ? length[j] : 0;
            from = reach > best ? j : from;
            best = reach > best ? reach : best;
        }
        length[i] = best + 1;
        previous[i] = from;
        if (end < 0 || length[i] > length[end]) end = i;
    }
    Py_ssize_t size = end < 0 ? 0 : length[end];
    for (Py_ssize_t k = size - 1; k >= 0; k--) {
        chain[k] = end;
        end = previous[end];
    }
    return size;
}

/* The core of aligned_chain: a's best matches in b scoring at least a half (from[k], to[k]), the
 * positions of the longest chain of them in order (chain, its length in *size), and how many sentences
 * that chain sandwiches (returned). mem: 5 * na slots. */
/* Best matches remembered per sentence row of the side they are found in: ``ids[i]`` names sentence i
 * of a by its anchor bits and count (sentences with the same ones have the same best match in b, as
 * a story's copies and wire paragraphs do: 6,352 comparable rows of 200 members, 884 distinct); ``j``
 * holds -2 where not yet worked out. */
typedef struct {
    const int32_t *ids;
    int32_t *j;
    double *score;
} BestMemo;

static Py_ssize_t chain_of(const OutlinePair *p, const AnchorIndex *index, Py_ssize_t *mem, Py_ssize_t *size,
                           const BestMemo *memo) {
    Py_ssize_t *from = mem, *to = mem + p->na, *chain = mem + 2 * p->na, *work = mem + 3 * p->na, matched = 0;
    for (Py_ssize_t i = 0; i < p->na; i++) {
        if (p->a_counts[i] < p->min_anchors) continue;
        double best;
        Py_ssize_t best_j;
        if (memo == NULL) {
            best_j = best_match_of(p, index, i, &best);
        } else if (memo->j[memo->ids[i]] != -2) {
            best_j = memo->j[memo->ids[i]];
            best = memo->score[memo->ids[i]];
        } else {
            best_j = best_match_of(p, index, i, &best);
            memo->j[memo->ids[i]] = (int32_t)best_j;
            memo->score[memo->ids[i]] = best;
        }
        if (best_j < 0 || best < 0.5) continue;
        from[matched] = i;
        to[matched++] = best_j;
    }
    *size = longest_chain(to, matched, work, chain);
    Py_ssize_t sandwiched = 0;
    for (Py_ssize_t k = 0; k + 1 < *size; k++) {
        Py_ssize_t i1 = from[chain[k]], j1 = to[chain[k]], i2 = from[chain[k + 1]], j2 = to[chain[k + 1]];
        if (i2 - i1 != j2 - j1) continue;
        for (Py_ssize_t step = 1; step < i2 - i1; step++) {
            Py_ssize_t i = i1 + step, j = j1 + step;
            if (p->a_counts[i] < p->min_anchors && p->b_counts[j] < p->min_anchors) continue;
            const uint64_t *row = p->a_bits + i * p->a_words, *other = p->b_bits + j * p->b_words;
            for (Py_ssize_t w = 0; w < p->width; w++) {
                if (row[w] & other[w]) {
                    sandwiched++;
                    break;
                }
            }
        }
    }
    return sandwiched;
}

/* aligned_chain: what align_keys asks of two outlines before anything else, in one call: the best
 * matches scoring at least a half, the longest chain of them in order (as (i, j) pairs), and how many
 * sentences that chain sandwiches (sentence_align._sandwiched): between two chained pairs the same
 * distance apart on both sides, the sentences at equal steps that share an anchor, one side comparable. */
static PyObject *aligned_chain(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    OutlinePair p;
    if (outline_pair(args, nargs, "aligned_chain", &p) < 0) return NULL;
    PyObject *out = NULL, *pairs = NULL;
    AnchorIndex index;
    if (anchor_index(&p, &index) < 0) {
        outline_pair_release(&p);
        return NULL;
    }
    Py_ssize_t *mem = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(5 * p.na + 1));
    if (mem == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t size, sandwiched = chain_of(&p, &index, mem, &size, NULL);
    const Py_ssize_t *from = mem, *to = mem + p.na, *chain = mem + 2 * p.na;
    if ((pairs = PyList_New(size)) == NULL) goto done;
    for (Py_ssize_t k = 0; k < size; k++) {
        PyObject *pair = Py_BuildValue("(nn)", from[chain[k]], to[chain[k]]);
        if (pair == NULL) goto done;
        PyList_SET_ITEM(pairs, k, pair);
    }
    out = Py_BuildValue("(On)", pairs, sandwiched);
done:
    Py_XDECREF(pairs);
    PyMem_Free(mem);
    anchor_index_free(&index);
    outline_pair_release(&p);
    return out;
}

/* How many rows share at least min_anchors bits with the mask, and how many share any (the mask is
 * one row of mask_words 64-bit words; bits past a row's width are zero). */
BIT_COUNTING static PyObject *anchor_reach(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "anchor_reach(rows, row_words, mask, mask_words, min_anchors)");
        return NULL;
    }
    Py_ssize_t row_words = PyLong_AsSsize_t(args[1]), mask_words = PyLong_AsSsize_t(args[3]);
    long min_anchors = PyLong_AsLong(args[4]);
    if (PyErr_Occurred()) return NULL;
    Py_buffer rows, mask;
    if (PyObject_GetBuffer(args[0], &rows, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (PyObject_GetBuffer(args[2], &mask, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&rows);
        return NULL;
    }
    PyObject *out = NULL;
    if (row_words < 0 || mask_words < 0 || mask.len != mask_words * 8 ||
        (row_words > 0 && rows.len % (row_words * 8) != 0) || (row_words == 0 && rows.len != 0)) {
        PyErr_SetString(PyExc_ValueError, "anchor_reach: rows and widths do not agree");
    } else {
        const uint64_t *r = rows.buf, *m = mask.buf;
        Py_ssize_t n = row_words ? rows.len / (row_words * 8) : 0;
        Py_ssize_t width = row_words < mask_words ? row_words : mask_words, enough = 0, any = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            long shared = 0;
            for (Py_ssize_t w = 0; w < width; w++) shared += __builtin_popcountll(r[i * row_words + w] & m[w]);
            enough += shared >= min_anchors;
            any += shared > 0;
        }
        out = Py_BuildValue("(nn)", enough, any);
    }
    PyBuffer_Release(&rows);
    PyBuffer_Release(&mask);
    return out;
}

/* A sentence row's bits without its trailing zero words (rows of members of different widths that
 * hold the same anchors compare equal), with its anchor count. */
typedef struct {
    const uint64_t *bits;
    Py_ssize_t words;
    int32_t count;
} RowKey;

static uint64_t row_key_hash(const RowKey *key) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uint32_t)key->count;
    for (Py_ssize_t w = 0; w < key->words; w++) h = (h ^ key->bits[w]) * 0xFF51AFD7ED558CCDULL, h ^= h >> 29;
    return h;
}

static int row_keys_equal(const RowKey *x, const RowKey *y) {
    return x->count == y->count && x->words == y->words &&
           (x->words == 0 || memcmp(x->bits, y->bits, sizeof(uint64_t) * (size_t)x->words) == 0);
}

/* Every member's rows named: equal ids for rows with the same bits and count (row_ids, member m's
 * from row_base[m]); how many names in *distinct. rows: as relation_screen holds them. */
static int name_rows(Py_ssize_t n, const Py_buffer *rows, const Py_ssize_t *words, int32_t *row_ids,
                     Py_ssize_t *row_base, Py_ssize_t all_rows, Py_ssize_t *distinct) {
    Py_ssize_t size = 16;
    while (size < 2 * all_rows) size <<= 1;
    RowKey *keys = PyMem_Malloc(sizeof(RowKey) * (size_t)(all_rows + 1));
    int32_t *table = PyMem_Malloc(sizeof(int32_t) * (size_t)size);
    if (keys == NULL || table == NULL) {
        PyMem_Free(keys);
        PyMem_Free(table);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t k = 0; k < size; k++) table[k] = -1;
    Py_ssize_t named = 0, row = 0;
    for (Py_ssize_t m = 0; m < n; m++) {
        const uint64_t *bits = rows[2 * m].buf;
        const int32_t *counts = rows[2 * n + m].buf;
        row_base[m] = row;
        for (Py_ssize_t r = 0; r < rows[2 * n + m].len / 4; r++, row++) {
            RowKey key = {bits + r * words[m], words[m], counts[r]};
            while (key.words > 0 && key.bits[key.words - 1] == 0) key.words--;
            Py_ssize_t at = (Py_ssize_t)(row_key_hash(&key) & (uint64_t)(size - 1));
            while (table[at] >= 0 && !row_keys_equal(&keys[table[at]], &key)) at = (at + 1) & (size - 1);
            if (table[at] < 0) {
                keys[named] = key;
                table[at] = (int32_t)named++;
            }
            row_ids[row] = table[at];
        }
    }
    PyMem_Free(keys);
    PyMem_Free(table);
    *distinct = named;
    return 0;
}

/* relation_screen(hash_ids, lengths, estimates, candidate, rows, row_words, every_rows, comparables,
 * counts, min_anchors, share): for each pair i < j of a story's members, whether
 * copydesk.stories.families.FamilyJudge.call could find a relation (1) or must return None (0): not
 * the same text, no copy check due (estimate below ``candidate``, lengths within 0.7 of each other),
 * and either copydesk.stories.sentence_align.may_align false for their outlines or their alignment
 * (align_keys: the shorter outline's chain in the longer, the sentences it sandwiches) short of
 * ``share`` of the larger comparable count. Row-major n x n bytes (the diagonal and the lower triangle
 * 0). The pair loop of a story asked this of every pair in Python, most of them to drop the pair. */
BIT_COUNTING static PyObject *relation_screen(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 11 || !PyList_Check(args[0]) || !PyList_Check(args[1]) || !PyList_Check(args[4]) ||
        !PyList_Check(args[5]) || !PyList_Check(args[6]) || !PyList_Check(args[7]) || !PyList_Check(args[8])) {
        PyErr_SetString(PyExc_TypeError,
                        "relation_screen(hash_ids, lengths, estimates, candidate, rows, row_words, every_rows, "
                        "comparables, counts, min_anchors, share): lists and an estimates buffer");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(args[0]);
    double candidate = PyFloat_AsDouble(args[3]), share = PyFloat_AsDouble(args[10]);
    long min_anchors = PyLong_AsLong(args[9]);
    if (PyErr_Occurred()) return NULL;
    for (int k = 1; k < 9; k++) {
        if (k != 2 && k != 3 && PyList_GET_SIZE(args[k]) != n) {
            PyErr_SetString(PyExc_ValueError, "relation_screen: one entry per member in every list");
            return NULL;
        }
    }
    Py_buffer est;
    if (PyObject_GetBuffer(args[2], &est, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    PyObject *out = NULL;
    Py_buffer *rows = PyMem_Calloc((size_t)(3 * n + 1), sizeof(Py_buffer));
    Py_ssize_t *scalars = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(6 * n + 1));
    Py_ssize_t all_bits = 0, all_postings = 0, most_bits = 0, most_sentences = 0, *mem = NULL;
    /* each member's anchor index, made once (its postings over its whole rows: a pair reads the bits
     * of their common width only), in two shared arrays; ``scratch`` lends its fill and counters */
    Py_ssize_t *starts = NULL, *postings_of = NULL;
    AnchorIndex scratch = {NULL, NULL, NULL, NULL, NULL};
    /* every member's sentence rows named by their bits and count (row_ids, from row_base[member]),
     * and each member's best matches of those (n x distinct, worked out as asked) */
    int32_t *row_ids = NULL, *memo_j = NULL;
    double *memo_score = NULL;
    Py_ssize_t *row_base = NULL, all_rows = 0, distinct = 0;
    if (rows == NULL || scalars == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (est.len != n * n * 8) {
        PyErr_SetString(PyExc_ValueError, "relation_screen: estimates must be n x n float64");
        goto done;
    }
    Py_ssize_t *hash_ids = scalars, *lengths = scalars + n, *words = scalars + 2 * n, *comparable = scalars + 3 * n;
    Py_ssize_t *start_at = scalars + 4 * n, *postings_at = scalars + 5 * n;
    for (Py_ssize_t i = 0; i < n; i++) {
        hash_ids[i] = PyLong_AsSsize_t(PyList_GET_ITEM(args[0], i));
        lengths[i] = PyLong_AsSsize_t(PyList_GET_ITEM(args[1], i));
        words[i] = PyLong_AsSsize_t(PyList_GET_ITEM(args[5], i));
        comparable[i] = PyLong_AsSsize_t(PyList_GET_ITEM(args[7], i));
        if (PyErr_Occurred()) goto done;
        if (PyObject_GetBuffer(PyList_GET_ITEM(args[4], i), &rows[2 * i], PyBUF_C_CONTIGUOUS) < 0 ||
            PyObject_GetBuffer(PyList_GET_ITEM(args[6], i), &rows[2 * i + 1], PyBUF_C_CONTIGUOUS) < 0 ||
            PyObject_GetBuffer(PyList_GET_ITEM(args[8], i), &rows[2 * n + i], PyBUF_C_CONTIGUOUS) < 0)
            goto done;
        Py_ssize_t sentences = rows[2 * n + i].len / 4;
        if (words[i] < 0 || rows[2 * i + 1].len != words[i] * 8 || rows[2 * n + i].len % 4 != 0 ||
            rows[2 * i].len != sentences * words[i] * 8) {
            PyErr_SetString(PyExc_ValueError, "relation_screen: rows, widths and counts do not agree");
            goto done;
        }
        start_at[i] = all_bits;
        postings_at[i] = all_postings;
        all_rows += sentences;
        all_bits += words[i] * 64 + 1;
        for (Py_ssize_t w = 0; w < sentences * words[i]; w++) all_postings += __builtin_popcountll(((const uint64_t *)rows[2 * i].buf)[w]);
        if (words[i] * 64 > most_bits) most_bits = words[i] * 64;
        if (sentences > most_sentences) most_sentences = sentences;
    }
    if (anchor_index_alloc(&scratch, most_bits, most_sentences, 0) < 0) goto done;
    starts = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(all_bits + 1));
    postings_of = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(all_postings + 1));
    mem = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(5 * most_sentences + 1));
    row_ids = PyMem_Malloc(sizeof(int32_t) * (size_t)(all_rows + 1));
    row_base = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n + 1));
    if (starts == NULL || postings_of == NULL || mem == NULL || row_ids == NULL || row_base == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (name_rows(n, rows, words, row_ids, row_base, all_rows, &distinct) < 0) goto done;
    if ((size_t)n * (size_t)(distinct + 1) > ((size_t)1 << 26)) {
        distinct = -1; /* too many to remember (a story of thousands of distinct sentences): no memo */
    } else {
        memo_j = PyMem_Malloc(sizeof(int32_t) * (size_t)(n * (distinct + 1)));
        memo_score = PyMem_Malloc(sizeof(double) * (size_t)(n * (distinct + 1)));
        if (memo_j == NULL || memo_score == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t k = 0; k < n * (distinct + 1); k++) memo_j[k] = -2;
    }
    for (Py_ssize_t m = 0; m < n; m++) {
        OutlinePair whole = {.b_bits = rows[2 * m].buf, .b_counts = rows[2 * n + m].buf, .nb = rows[2 * n + m].len / 4,
                             .b_words = words[m], .width = words[m], .min_anchors = min_anchors};
        AnchorIndex own = {.start = starts + start_at[m], .rows = postings_of + postings_at[m], .fill = scratch.fill};
        anchor_index_fill(&whole, &own);
    }
    out = PyBytes_FromStringAndSize(NULL, n * n);
    if (out == NULL) goto done;
    char *screen = PyBytes_AS_STRING(out);
    memset(screen, 0, (size_t)(n * n));
    const double *estimates = (const double *)est.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        for (Py_ssize_t j = i + 1; j < n; j++) {
            Py_ssize_t la = lengths[i], lb = lengths[j];
            Py_ssize_t low = la < lb ? la : lb, high = la > lb ? la : lb;
            double ratio = (double)low / (double)(high > 1 ? high : 1);
            if (hash_ids[i] == hash_ids[j] || estimates[i * n + j] >= candidate || ratio < 0.7) {
                screen[i * n + j] = 1;
                continue;
            }
            /* may_align: symmetric in the two outlines */
            Py_ssize_t most = comparable[i] > comparable[j] ? comparable[i] : comparable[j];
            if (most < 2) continue;
            double need = share * (double)most - 1e-9;
            Py_ssize_t reach[2][2];  /* [side][enough, any] */
            for (int side = 0; side < 2; side++) {
                Py_ssize_t a = side ? j : i, b = side ? i : j;
                const uint64_t *r = rows[2 * a].buf, *m = rows[2 * b + 1].buf;
                Py_ssize_t count = words[a] ? rows[2 * a].len / (words[a] * 8) : 0;
                Py_ssize_t width = words[a] < words[b] ? words[a] : words[b], enough = 0, any = 0;
                for (Py_ssize_t row = 0; row < count; row++) {
                    long shared = 0;
                    for (Py_ssize_t w = 0; w < width; w++) shared += __builtin_popcountll(r[row * words[a] + w] & m[w]);
                    enough += shared >= min_anchors;
                    any += shared > 0;
                }
                reach[side][0] = enough;
                reach[side][1] = any;
            }
            Py_ssize_t matched = comparable[i] < comparable[j] ? comparable[i] : comparable[j];
            if (reach[0][0] < matched) matched = reach[0][0];
            if (reach[1][0] < matched) matched = reach[1][0];
            int may = (double)matched >= need;
            if (!may && matched >= 2) {
                Py_ssize_t any = reach[0][1] < reach[1][1] ? reach[0][1] : reach[1][1];
                may = (double)any >= need;
            }
            if (!may) continue;
            /* align_keys: the shorter outline (the first on a tie) aligned in the longer */
            Py_ssize_t a = i, b = j;
            if (rows[2 * n + i].len > rows[2 * n + j].len) a = j, b = i;
            OutlinePair pair = {.a_bits = rows[2 * a].buf, .b_bits = rows[2 * b].buf,
                                .a_counts = rows[2 * n + a].buf, .b_counts = rows[2 * n + b].buf,
                                .na = rows[2 * n + a].len / 4, .nb = rows[2 * n + b].len / 4,
                                .a_words = words[a], .b_words = words[b],
                                .width = words[a] < words[b] ? words[a] : words[b], .min_anchors = min_anchors};
            AnchorIndex index = {.start = starts + start_at[b], .rows = postings_of + postings_at[b],
                                 .shared = scratch.shared, .touched = scratch.touched};
            BestMemo memo = {NULL, NULL, NULL};
            if (distinct >= 0)
                memo = (BestMemo){row_ids + row_base[a], memo_j + b * (distinct + 1), memo_score + b * (distinct + 1)};
            Py_ssize_t size, sandwiched = chain_of(&pair, &index, mem, &size, distinct >= 0 ? &memo : NULL);
            Py_ssize_t aligned = size + sandwiched < most ? size + sandwiched : most;
            screen[i * n + j] = !((double)aligned / (double)most < share);
        }
    }
done:
    for (Py_ssize_t k = 0; rows != NULL && k < 3 * n; k++) PyBuffer_Release(&rows[k]); /* unset (zeroed): no-ops */
    anchor_index_free(&scratch);
    PyMem_Free(starts);
    PyMem_Free(postings_of);
    PyMem_Free(mem);
    PyMem_Free(row_ids);
    PyMem_Free(row_base);
    PyMem_Free(memo_j);
    PyMem_Free(memo_score);
    PyMem_Free(rows);
    PyMem_Free(scalars);
    PyBuffer_Release(&est);
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

/* The longest chain of matches whose targets increase (targets: int32, in match order), as match
 * positions (see longest_chain). */
static PyObject *increasing_chain(PyObject *self, PyObject *targets_obj) {
    (void)self;
    Py_buffer view;
    if (PyObject_GetBuffer(targets_obj, &view, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    const int32_t *target = view.buf;
    Py_ssize_t n = view.len / 4;
    Py_ssize_t *mem = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(4 * n + 1));
    if (mem == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) mem[i] = target[i];
    Py_ssize_t size = longest_chain(mem, n, mem + 2 * n, mem + n);
    PyObject *out = PyList_New(size);
    for (Py_ssize_t k = 0; out != NULL && k < size; k++) {
        PyObject *position = PyLong_FromSsize_t(mem[n + k]);
        if (position == NULL) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, k, position);
    }
    PyMem_Free(mem);
    PyBuffer_Release(&view);
    return out;
}

static PyMethodDef overlap_methods[] = {
    {"anchor_reach", (PyCFunction)(void (*)(void))anchor_reach, METH_FASTCALL,
     "anchor_reach(rows, row_words, mask, mask_words, min_anchors) -> (int, int): rows sharing at least "
     "min_anchors bits with the mask, and rows sharing any."},
    {"relation_screen", (PyCFunction)(void (*)(void))relation_screen, METH_FASTCALL,
     "relation_screen(hash_ids, lengths, estimates, candidate, rows, row_words, every_rows, comparables, "
     "min_anchors, share) -> bytes: for each pair i < j of a story's members, 1 where a relation may be "
     "found (n x n, row-major)."},
    {"increasing_chain", increasing_chain, METH_O,
     "increasing_chain(targets) -> list[int]: the positions of the longest chain of increasing targets "
     "(int32 buffer), the first found on a tie."},
    {"best_matches", (PyCFunction)(void (*)(void))best_matches, METH_FASTCALL,
     "best_matches(a_bits, a_words, a_counts, b_bits, b_words, b_counts, min_anchors) -> list[tuple[int, "
     "int, float]]: each comparable sentence of a, its best-matching sentence of b by shared anchors."},
    {"aligned_chain", (PyCFunction)(void (*)(void))aligned_chain, METH_FASTCALL,
     "aligned_chain(a_bits, a_words, a_counts, b_bits, b_words, b_counts, min_anchors) -> (list[tuple[int, "
     "int]], int): the chain of best matches in order and the sentences it sandwiches."},
    {"first_sharing", (PyCFunction)(void (*)(void))first_sharing, METH_FASTCALL,
     "first_sharing(mine, theirs, threshold) -> int: the first of theirs sharing enough with mine, or -1."},
    {"shingle_hashes", (PyCFunction)(void (*)(void))shingle_hashes, METH_FASTCALL,
     "shingle_hashes(encoded, word_byte, coefs, prime, mix1, mix2) -> (bytearray, bytearray): the shingle hashes "
     "of each encoded text end to end (uint64) and each text's first shingle (int64)."},
    {"sign_shingles", (PyCFunction)(void (*)(void))sign_shingles, METH_FASTCALL,
     "sign_shingles(shingles, offsets, salt, spread, mix1, mix2, out) -> None: each text's one-permutation "
     "MinHash signature, densified, into out (n x width uint32)."},
    {"pair_estimates", (PyCFunction)(void (*)(void))pair_estimates, METH_FASTCALL,
     "pair_estimates(out, mine, my_rows, theirs, their_rows, width, empty) -> None: out[k], the estimated "
     "Jaccard of mine[my_rows[k]] against theirs[their_rows[k]] (uint32 signatures)."},
    {"shared_count", (PyCFunction)(void (*)(void))shared_count, METH_FASTCALL,
     "shared_count(a, b) -> int: how many values two sorted int64 arrays of distinct values share."},
    {"matched_total", (PyCFunction)(void (*)(void))matched_total, METH_FASTCALL,
     "matched_total(a, b) -> int: the total size of difflib.SequenceMatcher(None, a, b, autojunk=False)'s "
     "matching blocks of two sequences of hashable items."},
    {"matching_blocks", (PyCFunction)(void (*)(void))matching_blocks, METH_FASTCALL,
     "matching_blocks(a, b) -> list[tuple[int, int, int]]: difflib.SequenceMatcher(None, a, b, "
     "autojunk=False).get_matching_blocks() of two sequences of hashable items, as plain tuples."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef overlap_module = {
    PyModuleDef_HEAD_INIT, "copydesk._overlap", "Shared shingles and matching blocks, compiled.", 0,
    overlap_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__overlap(void) { return PyModuleDef_Init(&overlap_module); }
