/* copydesk._textscan: the per-line word scan of the cleaning stages, compiled.
 *
 * Every line of every article is split into words (copydesk.clean.lines.line_facts), and in CPython
 * that regex scan plus lowercasing is a third of the cleaning time. Most news lines are pure ASCII,
 * where the scan is a plain byte loop: this module does exactly that case and returns None for any
 * other text, which then takes the regex path. The results are the same either way (tested with
 * hypothesis in tests/test_clean_textscan.py); building this module is optional.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* str.split()'s (and str.strip()'s) whitespace among ASCII characters */
/* copydesk._tokenmemo's capsule (the same struct it declares): a TokenMemo looked up in place */
typedef struct {
    PyObject *(*lookup_ascii)(PyObject *memo, const unsigned char *bytes, Py_ssize_t length);
} TokenMemoApi;

typedef struct {
    const TokenMemoApi *memo_api; /* NULL where copydesk._tokenmemo was not built */
} TextscanState;

static inline int is_ascii_space(unsigned char c) { return (c >= 9 && c <= 13) || (c >= 28 && c <= 32); }

static inline int is_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* what may follow a word's first letter: r"[\w'\-.]" on ASCII (\w is letters, digits and "_") */
static inline int continues_word(unsigned char c) {
    return is_letter(c) || (c >= '0' && c <= '9') || c == '_' || c == '\'' || c == '-' || c == '.';
}

/* Where the next word starts at or after ``i`` (``length`` if none), and where the word at ``i`` ends:
 * the words r"[^\W\d_][\w'’\-.]*" finds in ASCII text. */
static inline Py_ssize_t ascii_word_start(const unsigned char *chars, Py_ssize_t length, Py_ssize_t i) {
    while (i < length && !is_letter(chars[i])) i++;
    return i;
}

static inline Py_ssize_t ascii_word_end(const unsigned char *chars, Py_ssize_t length, Py_ssize_t i) {
    Py_ssize_t end = i + 1;
    while (end < length && continues_word(chars[end])) end++;
    return end;
}

static PyObject *ascii_str(const unsigned char *start, Py_ssize_t length, int lower, int *changed) {
    PyObject *text = PyUnicode_New(length, 127);
    if (text == NULL) return NULL;
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(text);
    for (Py_ssize_t k = 0; k < length; k++) {
        unsigned char c = start[k];
        if (lower && c >= 'A' && c <= 'Z') {
            c = (unsigned char)(c | 0x20);
            *changed = 1;
        }
        out[k] = c;
    }
    return text;
}

/* The words r"[^\W\d_][\w'’\-.]*" finds in an ASCII ``text`` and their lowercase forms, as two new
 * lists; -1 with an exception set on failure. */
static int scan_ascii_words(PyObject *text, PyObject **words_out, PyObject **lowered_out) {
    const unsigned char *chars = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), i = 0;
    PyObject *words = PyList_New(0), *lowered = PyList_New(0);
    if (words == NULL || lowered == NULL) goto fail;
    while ((i = ascii_word_start(chars, length, i)) < length) {
        Py_ssize_t end = ascii_word_end(chars, length, i);
        int changed = 0;
        PyObject *word = ascii_str(chars + i, end - i, 0, &changed);
        if (word == NULL) goto fail;
        PyObject *lower = ascii_str(chars + i, end - i, 1, &changed);
        if (lower == NULL) {
            Py_DECREF(word);
            goto fail;
        }
        if (!changed) { /* already lowercase: share the one string */
            Py_DECREF(lower);
            Py_INCREF(word);
            lower = word;
        }
        int failed = PyList_Append(words, word) < 0 || PyList_Append(lowered, lower) < 0;
        Py_DECREF(word);
        Py_DECREF(lower);
        if (failed) goto fail;
        i = end;
    }
    *words_out = words;
    *lowered_out = lowered;
    return 0;
fail:
    Py_XDECREF(words);
    Py_XDECREF(lowered);
    return -1;
}

/* first_items(rows) -> frozenset
 * The first items of the tuples in a list of lists of tuples: the words of an article's token facts
 * (copydesk.clean.spam asks whether a join is a word the article uses). */
static PyObject *first_items(PyObject *self, PyObject *rows) {
    (void)self;
    if (!PyList_Check(rows)) {
        PyErr_SetString(PyExc_TypeError, "first_items() takes a list of lists of tuples");
        return NULL;
    }
    PyObject *found = PyFrozenSet_New(NULL);
    if (found == NULL) return NULL;
    /* An article's words recur (the memo gives each one object): the objects already added are
     * remembered by address in a small table, so the set is asked once per distinct object (it
     * was asked ~2.5 times a word, a string hash look-up each time). */
    Py_ssize_t items = 0;
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(rows); r++) {
        PyObject *row = PyList_GET_ITEM(rows, r);
        if (PyList_Check(row)) items += PyList_GET_SIZE(row);
    }
    /* at least twice the items' slots, at most 4096 (a table zeroed for every call: 32 KiB had
     * been cleared for an article's few hundred words) */
    int bits = 8;
    while (bits < 12 && ((Py_ssize_t)1 << bits) < 2 * items) bits++;
    PyObject **seen = PyMem_Calloc((size_t)1 << bits, sizeof(PyObject *));
    if (seen == NULL) {
        Py_DECREF(found);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(rows); r++) {
        PyObject *row = PyList_GET_ITEM(rows, r);
        if (!PyList_Check(row)) goto wrong;
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(row); k++) {
            PyObject *item = PyList_GET_ITEM(row, k);
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) == 0) goto wrong;
            PyObject *first = PyTuple_GET_ITEM(item, 0);
            size_t at = (size_t)(((uint64_t)(uintptr_t)first >> 4) * 0x9E3779B97F4A7C15ULL >> (64 - bits));
            if (seen[at] == first) continue;
            if (PySet_Add(found, first) < 0) goto fail;
            seen[at] = first; /* the set holds a reference for as long as the table is read */
        }
    }
    PyMem_Free(seen);
    return found;
wrong:
    PyErr_SetString(PyExc_TypeError, "first_items() takes a list of lists of non-empty tuples");
fail:
    PyMem_Free(seen);
    Py_DECREF(found);
    return NULL;
}

/* marked_words(lowered, languages_of, address) -> (counts, language, hits, addressed)
 * Over a line's lowercased words: how many function words of each language they hold (``counts``,
 * keyed in the order the languages first occur; ``languages_of`` maps a function word to the tuple
 * of its languages), the language with most of them (the first of equals) and its count, and
 * whether any word is in the ``address`` set. copydesk.clean.words.marked_words is the same in
 * Python. */
static PyObject *marks_of(PyObject *lowered, PyObject *languages_of, PyObject *address) {
    PyObject *counts = PyDict_New();
    if (counts == NULL) return NULL;
    int addressed = 0;
    Py_ssize_t n = PyList_GET_SIZE(lowered);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *word = PyList_GET_ITEM(lowered, i);
        PyObject *languages = PyDict_GetItemWithError(languages_of, word); /* borrowed */
        if (languages == NULL && PyErr_Occurred()) goto fail;
        if (languages != NULL) {
            if (!PyTuple_Check(languages)) {
                PyErr_SetString(PyExc_TypeError, "languages_of values must be tuples");
                goto fail;
            }
            for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(languages); k++) {
                PyObject *language = PyTuple_GET_ITEM(languages, k);
                PyObject *seen = PyDict_GetItemWithError(counts, language);
                if (seen == NULL && PyErr_Occurred()) goto fail;
                long before = seen == NULL ? 0 : PyLong_AsLong(seen);
                if (before == -1 && PyErr_Occurred()) goto fail;
                PyObject *after = PyLong_FromLong(before + 1);
                if (after == NULL || PyDict_SetItem(counts, language, after) < 0) {
                    Py_XDECREF(after);
                    goto fail;
                }
                Py_DECREF(after);
            }
        }
        if (!addressed) {
            int found = PySet_Contains(address, word);
            if (found < 0) goto fail;
            addressed = found;
        }
    }
    PyObject *best = Py_None, *key, *value;
    long hits = 0;
    Py_ssize_t position = 0;
    while (PyDict_Next(counts, &position, &key, &value)) {
        long count = PyLong_AsLong(value);
        if (count > hits) { /* strictly more: the first of equals stays */
            hits = count;
            best = key;
        }
    }
    return Py_BuildValue("(NOlO)", counts, best, hits, addressed ? Py_True : Py_False);
fail:
    Py_DECREF(counts);
    return NULL;
}

static int marks_arguments(PyObject *lowered, PyObject *languages_of, PyObject *address) {
    if (!PyList_Check(lowered) || !PyDict_Check(languages_of) || !PyAnySet_Check(address)) {
        PyErr_SetString(PyExc_TypeError, "expected (list | str, dict, set | frozenset)");
        return -1;
    }
    return 0;
}

static PyObject *marked_words(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "marked_words(lowered, languages_of, address)");
        return NULL;
    }
    if (marks_arguments(args[0], args[1], args[2]) < 0) return NULL;
    return marks_of(args[0], args[1], args[2]);
}

/* ends like a sentence (copydesk.clean.textscan.ends_like_sentence) for an ASCII text: a full stop,
 * ! ? ; or a quote last, or a closing bracket after one of . ! ? ; (closing quotes and brackets
 * between) */
static int ascii_ends_sentence(const unsigned char *chars, Py_ssize_t length) {
    while (length > 0 && is_ascii_space(chars[length - 1])) length--;
    if (length == 0) return 0;
    unsigned char last = chars[length - 1];
    if (last == '.' || last == '!' || last == '?' || last == ';' || last == '"' || last == '\'') return 1;
    if (last == ')' || last == ']') {
        while (length > 0 && (chars[length - 1] == '"' || chars[length - 1] == '\'' || chars[length - 1] == ')'
                              || chars[length - 1] == ']'))
            length--;
        if (length == 0) return 0;
        last = chars[length - 1];
        return last == '.' || last == '!' || last == '?' || last == ';';
    }
    return 0;
}

/* scan_ascii_line(text, languages_of, address)
 *     -> (words, lowered, counts, language, hits, addressed, ends_sentence) | None
 * the words, marked_words and the sentence end of an ASCII line in one call (None for other text). */
static PyObject *scan_ascii_line(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "scan_ascii_line(text, languages_of, address)");
        return NULL;
    }
    PyObject *text = args[0];
    if (!PyUnicode_IS_ASCII(text)) Py_RETURN_NONE;
    PyObject *words, *lowered;
    if (scan_ascii_words(text, &words, &lowered) < 0) return NULL;
    PyObject *marks = NULL;
    if (marks_arguments(lowered, args[1], args[2]) == 0) marks = marks_of(lowered, args[1], args[2]);
    if (marks == NULL) {
        Py_DECREF(words);
        Py_DECREF(lowered);
        return NULL;
    }
    int ends = ascii_ends_sentence(PyUnicode_1BYTE_DATA(text), PyUnicode_GET_LENGTH(text));
    PyObject *line = Py_BuildValue(
        "(NNOOOOO)", words, lowered, PyTuple_GET_ITEM(marks, 0), PyTuple_GET_ITEM(marks, 1),
        PyTuple_GET_ITEM(marks, 2), PyTuple_GET_ITEM(marks, 3), ends ? Py_True : Py_False);
    Py_DECREF(marks);
    return line;
}

/* whether ``joined`` is a known word or one of the article's (``article_words()``, asked only here
 * and once a call: ``*words`` keeps what it gave, for the caller to release) */
static int known_join(PyObject *joined, PyObject *known, PyObject *article_words, PyObject **words) {
    int found = PySet_Contains(known, joined);
    if (found != 0) return found;
    if (*words == NULL && (*words = PyObject_CallNoArgs(article_words)) == NULL) return -1;
    return PySequence_Contains(*words, joined);
}

static int fact_flag(PyObject *fact, Py_ssize_t k) { return PyObject_IsTrue(PyTuple_GET_ITEM(fact, k)); }

/* strong_join_near(facts, known, article_words, max_run) -> bool
 * copydesk.clean.spam_tokens.python_strong_join_near, compiled: whether a fragment of the line and a
 * token a short run of bare non-fragments away may join into a word. ``facts`` are the line's token
 * facts (word, bare, fragment, trade, topic, as left half, as right half). */
static PyObject *strong_join_near(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 4 || !PyList_Check(args[0]) || !PyAnySet_Check(args[1]) || !PyLong_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "strong_join_near(facts, known, article_words, max_run)");
        return NULL;
    }
    PyObject *facts = args[0], *known = args[1], *article_words = args[2], *words = NULL;
    Py_ssize_t max_run = PyLong_AsSsize_t(args[3]), count = PyList_GET_SIZE(facts);
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *fact = PyList_GET_ITEM(facts, k);
        if (!PyTuple_Check(fact) || PyTuple_GET_SIZE(fact) < 7) {
            PyErr_SetString(PyExc_TypeError, "token facts are 7-tuples");
            return NULL;
        }
    }
    int result = 0; /* 1: a join found, -1: an error */
    for (Py_ssize_t p = 0; p < count && result == 0; p++) {
        PyObject *fact = PyList_GET_ITEM(facts, p);
        int fragment = fact_flag(fact, 2);
        if (fragment <= 0) {
            result = fragment;
            continue;
        }
        /* the fragment as the left half: runs p+1 .. k of bare non-fragments, the right half after */
        PyObject *left = PyTuple_GET_ITEM(fact, 5);
        for (Py_ssize_t k = p + 1; result == 0 && PyObject_IsTrue(left) == 1 && k + 1 < count && k - p <= max_run;
             k++) {
            PyObject *run = PyList_GET_ITEM(facts, k);
            int bare = fact_flag(run, 1), run_fragment = fact_flag(run, 2);
            if (bare < 0 || run_fragment < 0) {
                result = -1;
                break;
            }
            if (!bare || run_fragment) break;
            PyObject *other = PyTuple_GET_ITEM(PyList_GET_ITEM(facts, k + 1), 6);
            if (PyObject_IsTrue(other) != 1) continue;
            PyObject *joined = PyNumber_Add(left, other);
            result = joined == NULL ? -1 : known_join(joined, known, article_words, &words);
            Py_XDECREF(joined);
        }
        /* the fragment as the right half: runs j .. p-1, the left half before */
        PyObject *right = PyTuple_GET_ITEM(fact, 6);
        for (Py_ssize_t j = p - 1; result == 0 && PyObject_IsTrue(right) == 1 && j > 0 && p - j <= max_run; j--) {
            PyObject *run = PyList_GET_ITEM(facts, j);
            int bare = fact_flag(run, 1), run_fragment = fact_flag(run, 2);
            if (bare < 0 || run_fragment < 0) {
                result = -1;
                break;
            }
            if (!bare || run_fragment) break;
            PyObject *other = PyTuple_GET_ITEM(PyList_GET_ITEM(facts, j - 1), 5);
            if (PyObject_IsTrue(other) != 1) continue;
            PyObject *joined = PyNumber_Add(other, right);
            result = joined == NULL ? -1 : known_join(joined, known, article_words, &words);
            Py_XDECREF(joined);
        }
    }
    Py_XDECREF(words);
    if (result < 0) return NULL;
    return PyBool_FromLong(result);
}

/* raw_lines(text) -> list[tuple[int, int, int]]: copydesk.clean.lines.python_raw_lines, compiled: for
 * every line of ``text`` (split at "\n") that is not blank, (start, end, blank lines before it), start
 * and end around what ``str.strip`` leaves of it. */
static PyObject *raw_lines(PyObject *self, PyObject *text) {
    (void)self;
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "raw_lines(text): text must be a str");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), begin = 0, blanks = 0;
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    while (begin <= n) {
        Py_ssize_t stop = begin;
        while (stop < n && PyUnicode_READ(kind, data, stop) != '\n') stop++;
        Py_ssize_t a = begin, b = stop;
        while (a < b && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, a))) a++;
        while (b > a && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, b - 1))) b--;
        if (a < b) {
            PyObject *row = Py_BuildValue("(nnn)", a, b, blanks);
            if (row == NULL || PyList_Append(out, row) < 0) {
                Py_XDECREF(row);
                Py_DECREF(out);
                return NULL;
            }
            Py_DECREF(row);
            blanks = 0;
        } else {
            blanks++;
        }
        begin = stop + 1;
    }
    return out;
}

/* fact_flags(facts, flags) -> int: over a line's token facts (tuples), bit b of the result set when
 * item ``flags[b]`` is true in any of them (``any(map(itemgetter(flags[b]), facts))`` for each b, in
 * one pass: the spam search asks it of every line). */
static PyObject *fact_flags(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2 || !PyList_Check(args[0]) || !PyTuple_Check(args[1]) || PyTuple_GET_SIZE(args[1]) > 16) {
        PyErr_SetString(PyExc_TypeError, "fact_flags(facts, flags): a list of tuples and a tuple of up to 16 indexes");
        return NULL;
    }
    Py_ssize_t wanted = PyTuple_GET_SIZE(args[1]), index[16];
    for (Py_ssize_t b = 0; b < wanted; b++) {
        index[b] = PyLong_AsSsize_t(PyTuple_GET_ITEM(args[1], b));
        if (index[b] < 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "fact_flags: indexes are not negative");
            return NULL;
        }
    }
    long flags = 0, all = (1L << wanted) - 1;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(args[0]) && flags != all; k++) {
        PyObject *fact = PyList_GET_ITEM(args[0], k);
        if (!PyTuple_Check(fact)) {
            PyErr_SetString(PyExc_TypeError, "fact_flags: token facts are tuples");
            return NULL;
        }
        for (Py_ssize_t b = 0; b < wanted; b++) {
            if (flags & (1L << b)) continue;
            if (index[b] >= PyTuple_GET_SIZE(fact)) {
                PyErr_SetString(PyExc_IndexError, "fact_flags: a fact has no such item");
                return NULL;
            }
            int truth = PyObject_IsTrue(PyTuple_GET_ITEM(fact, index[b]));
            if (truth < 0) return NULL;
            if (truth) flags |= 1L << b;
        }
    }
    return PyLong_FromLong(flags);
}

/* A line's words read through ``memo`` (a copydesk._tokenmemo.TokenMemo whose facts of a word are
 * (word, lowered, languages | None, addressed): copydesk.clean.lines.ascii_word_facts): the words and
 * lowered lists scan_ascii_words gives and the marks marks_of gives, without building a string or
 * hashing one for a word seen before (a 600-word article's lines have ~650 words). -1 with an
 * exception set on failure. */
static PyObject *memo_marks(PyObject *text, PyObject *memo, const TokenMemoApi *api, PyObject **words_out,
                            PyObject **lowered_out) {
    const unsigned char *chars = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), i = 0, kinds = 0, count = 0;
    /* the words counted first, so both lists are made at their size (appending reallocated each
     * several times a line) */
    while ((i = ascii_word_start(chars, length, i)) < length) {
        i = ascii_word_end(chars, length, i);
        count++;
    }
    PyObject *words = PyList_New(count), *lowered = PyList_New(count), *counts = NULL, *marks = NULL;
    PyObject *languages[32]; /* the languages met, in order, and their counts */
    long tally[32];
    int addressed = 0;
    if (words == NULL || lowered == NULL) goto fail;
    i = 0;
    for (Py_ssize_t w = 0; w < count; w++) {
        i = ascii_word_start(chars, length, i);
        Py_ssize_t end = ascii_word_end(chars, length, i);
        PyObject *facts = api->lookup_ascii(memo, chars + i, end - i);
        if (facts == NULL) goto fail;
        if (!PyTuple_Check(facts) || PyTuple_GET_SIZE(facts) != 4 || !PyUnicode_Check(PyTuple_GET_ITEM(facts, 0))
            || !PyUnicode_Check(PyTuple_GET_ITEM(facts, 1))) {
            Py_DECREF(facts);
            PyErr_SetString(PyExc_TypeError, "a word's memo facts are (word, lowered, languages | None, addressed)");
            goto fail;
        }
        PyList_SET_ITEM(words, w, Py_NewRef(PyTuple_GET_ITEM(facts, 0)));
        PyList_SET_ITEM(lowered, w, Py_NewRef(PyTuple_GET_ITEM(facts, 1)));
        int failed = 0;
        PyObject *of = PyTuple_GET_ITEM(facts, 2);
        addressed |= PyTuple_GET_ITEM(facts, 3) == Py_True;
        for (Py_ssize_t k = 0; PyTuple_Check(of) && k < PyTuple_GET_SIZE(of); k++) {
            PyObject *language = PyTuple_GET_ITEM(of, k);
            Py_ssize_t at = 0;
            while (at < kinds && languages[at] != language
                   && !(PyUnicode_Check(language) && PyUnicode_Check(languages[at])
                        && PyUnicode_Compare(languages[at], language) == 0))
                at++;
            if (at == kinds) {
                if (kinds == 32) {
                    PyErr_SetString(PyExc_ValueError, "more than 32 languages in languages_of");
                    failed = 1;
                    break;
                }
                languages[kinds] = language;
                tally[kinds++] = 0;
            }
            tally[at]++;
        }
        Py_DECREF(facts); /* the memo holds the words and languages */
        if (failed) goto fail;
        i = end;
    }
    if ((counts = PyDict_New()) == NULL) goto fail;
    PyObject *best = Py_None;
    long hits = 0;
    for (Py_ssize_t k = 0; k < kinds; k++) {
        PyObject *tallied = PyLong_FromLong(tally[k]);
        if (tallied == NULL || PyDict_SetItem(counts, languages[k], tallied) < 0) {
            Py_XDECREF(tallied);
            goto fail;
        }
        Py_DECREF(tallied);
        if (tally[k] > hits) { /* strictly more: the first of equals stays */
            hits = tally[k];
            best = languages[k];
        }
    }
    marks = Py_BuildValue("(NOlO)", counts, best, hits, addressed ? Py_True : Py_False);
    counts = NULL;
    if (marks == NULL) goto fail;
    *words_out = words;
    *lowered_out = lowered;
    return marks;
fail:
    Py_XDECREF(counts);
    Py_XDECREF(words);
    Py_XDECREF(lowered);
    return NULL;
}

/* ascii_line_facts(text, languages_of, address, facts_type, anchor_words, anchor_chars, latin, memo)
 *     -> facts_type | None
 * copydesk.clean.lines.line_facts of an ASCII line that uses no reader-address word, built here
 * whole: (words, lowered, ends_sentence, anchor, script, languages, language, hits, address,
 * site_talk, has_letters) as a ``facts_type`` (a tuple subclass). None for any other line, which
 * the Python path then reads. The words are read through ``memo`` (memo_marks) unless it is None or
 * copydesk._tokenmemo was not built. */
static PyObject *ascii_line_facts(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 8 || !PyUnicode_Check(args[0]) || !PyType_Check(args[3])
        || !PyType_IsSubtype((PyTypeObject *)args[3], &PyTuple_Type) || !PyLong_Check(args[4])
        || !PyLong_Check(args[5]) || !PyUnicode_Check(args[6])) {
        PyErr_SetString(PyExc_TypeError, "ascii_line_facts(text, languages_of, address, facts_type, anchor_words, "
                                         "anchor_chars, latin, memo)");
        return NULL;
    }
    PyObject *text = args[0];
    if (!PyUnicode_IS_ASCII(text)) Py_RETURN_NONE;
    const TokenMemoApi *api = ((TextscanState *)PyModule_GetState(self))->memo_api;
    PyObject *words = NULL, *lowered = NULL, *marks = NULL, *facts = NULL;
    if (args[7] != Py_None && api != NULL) {
        if ((marks = memo_marks(text, args[7], api, &words, &lowered)) == NULL) return NULL;
    } else {
        if (scan_ascii_words(text, &words, &lowered) < 0) return NULL;
        if (marks_arguments(lowered, args[1], args[2]) == 0) marks = marks_of(lowered, args[1], args[2]);
        if (marks == NULL) goto done;
    }
    if (PyTuple_GET_ITEM(marks, 3) == Py_True) { /* reader-address words: the Python path */
        facts = Py_NewRef(Py_None);
        goto done;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), count = PyList_GET_SIZE(words);
    int ends = ascii_ends_sentence(PyUnicode_1BYTE_DATA(text), length);
    int anchor = ends && (count >= PyLong_AsSsize_t(args[4]) || length >= PyLong_AsSsize_t(args[5]));
    PyObject *script = count ? args[6] : Py_None;
    PyObject *items[11] = {words, lowered, ends ? Py_True : Py_False, anchor ? Py_True : Py_False, script,
                           PyTuple_GET_ITEM(marks, 0), PyTuple_GET_ITEM(marks, 1), PyTuple_GET_ITEM(marks, 2),
                           NULL, Py_False, count ? Py_True : Py_False};
    if ((items[8] = PyTuple_New(0)) == NULL) goto done;
    /* the facts type's instance made here, as tuple.__new__ makes one of a subclass (its fields set
     * in place: no tuple of fields built to be copied) */
    PyTypeObject *facts_type = (PyTypeObject *)args[3];
    facts = facts_type == &PyTuple_Type ? PyTuple_New(11) : facts_type->tp_alloc(facts_type, 11);
    if (facts == NULL) {
        Py_DECREF(items[8]);
        goto done;
    }
    for (int k = 0; k < 11; k++) PyTuple_SET_ITEM(facts, k, k == 8 ? items[k] : Py_NewRef(items[k]));
done:
    Py_XDECREF(marks);
    Py_XDECREF(words);
    Py_XDECREF(lowered);
    return facts;
}

/* python ``copydesk.stories.features.python_sentences``: ``re.split(r"(?<=[.!?])[\"'”’)]?\s+|\n+", text)``,
 * each piece stripped, the empty ones left out. A boundary is whitespace after a sentence end (one
 * closing quote or bracket may sit between them, and goes with the boundary), or a run of newlines. */
static int closes_quote(Py_UCS4 c) {
    return c == '"' || c == '\'' || c == 0x201D || c == 0x2019 || c == ')';
}

/* Where the boundary at ``i`` ends (the next piece starts), or -1 where no boundary starts at i. */
static Py_ssize_t boundary_end(int kind, const void *data, Py_ssize_t n, Py_ssize_t i) {
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    if (i > 0) {
        Py_UCS4 before = PyUnicode_READ(kind, data, i - 1);
        if (before == '.' || before == '!' || before == '?') {
            Py_ssize_t spaces = i;
            if (closes_quote(c) && i + 1 < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i + 1))) spaces = i + 1;
            if (Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, spaces))) {
                Py_ssize_t end = spaces;
                while (end < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end))) end++;
                return end;
            }
        }
    }
    if (c != '\n') return -1;
    Py_ssize_t end = i;
    while (end < n && PyUnicode_READ(kind, data, end) == '\n') end++;
    return end;
}

static int add_stripped(PyObject *out, PyObject *text, int kind, const void *data, Py_ssize_t a, Py_ssize_t b) {
    while (a < b && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, a))) a++;
    while (b > a && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, b - 1))) b--;
    if (a == b) return 0;
    PyObject *piece = PyUnicode_Substring(text, a, b);
    if (piece == NULL) return -1;
    int status = PyList_Append(out, piece);
    Py_DECREF(piece);
    return status;
}

static PyObject *split_sentences(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "split_sentences(text): text must be a str");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    Py_ssize_t start = 0, i = 0;
    while (i < n) {
        Py_ssize_t end = boundary_end(kind, data, n, i);
        if (end < 0) {
            i++;
            continue;
        }
        if (add_stripped(out, text, kind, data, start, i) < 0) {
            Py_DECREF(out);
            return NULL;
        }
        start = i = end;
    }
    if (add_stripped(out, text, kind, data, start, n) < 0) {
        Py_DECREF(out);
        return NULL;
    }
    return out;
}

/* python ``copydesk.stories.features.python_token_counts``: ``Counter(re.findall(r"\w+(?:[.,'’]\d+|['’]\w+)*",
 * text))``, the counts in first-seen order. A token is a run of word characters, continued by a
 * point, comma or apostrophe before digits ("3.5", "1,200") or by an apostrophe before word
 * characters ("don't"). */
static inline int word_char(Py_UCS4 c) {
    if (c < 128) return is_letter((unsigned char)c) || (c >= '0' && c <= '9') || c == '_'; /* most text */
    return Py_UNICODE_ISALNUM(c);
}

/* A text's distinct tokens and their counts while it is read: an open-addressing table of (token,
 * its str hash, count) with the tokens in first-seen order, so the result dict is built once per
 * distinct token (a dict read and write per token was most of the counting). The table holds its
 * tokens' references. */
typedef struct {
    PyObject **tokens; /* first-seen order */
    Py_hash_t *hashes;
    Py_ssize_t *counts;
    Py_ssize_t *table; /* index into tokens + 1, 0 for empty */
    Py_ssize_t n, capacity, mask;
} TokenTally;

static void tally_free(TokenTally *tally) {
    for (Py_ssize_t k = 0; k < tally->n; k++) Py_DECREF(tally->tokens[k]);
    PyMem_Free(tally->tokens);
    PyMem_Free(tally->hashes);
    PyMem_Free(tally->counts);
    PyMem_Free(tally->table);
}

static int tally_grow(TokenTally *tally) {
    Py_ssize_t capacity = tally->capacity ? tally->capacity * 2 : 256, size = capacity * 2;
    PyObject **tokens = PyMem_Realloc(tally->tokens, sizeof(PyObject *) * (size_t)capacity);
    if (tokens != NULL) tally->tokens = tokens;
    Py_hash_t *hashes = PyMem_Realloc(tally->hashes, sizeof(Py_hash_t) * (size_t)capacity);
    if (hashes != NULL) tally->hashes = hashes;
    Py_ssize_t *counts = PyMem_Realloc(tally->counts, sizeof(Py_ssize_t) * (size_t)capacity);
    if (counts != NULL) tally->counts = counts;
    Py_ssize_t *table = PyMem_Calloc((size_t)size, sizeof(Py_ssize_t));
    if (tokens == NULL || hashes == NULL || counts == NULL || table == NULL) {
        PyMem_Free(table);
        PyErr_NoMemory();
        return -1;
    }
    PyMem_Free(tally->table);
    tally->table = table;
    tally->capacity = capacity;
    tally->mask = size - 1;
    for (Py_ssize_t k = 0; k < tally->n; k++) { /* the seen tokens placed again */
        Py_ssize_t at = (Py_ssize_t)((size_t)tally->hashes[k] & (size_t)tally->mask);
        while (table[at]) at = (at + 1) & tally->mask;
        table[at] = k + 1;
    }
    return 0;
}

/* count one more of ``token`` (a str; the reference is the caller's); -1 on error */
static int tally_add(TokenTally *tally, PyObject *token) {
    Py_hash_t hash = PyObject_Hash(token); /* cached in the str after the first time */
    if (hash == -1) return -1;
    if (tally->n * 2 >= tally->capacity && tally_grow(tally) < 0) return -1;
    Py_ssize_t at = (Py_ssize_t)((size_t)hash & (size_t)tally->mask);
    while (tally->table[at]) {
        Py_ssize_t k = tally->table[at] - 1;
        PyObject *seen = tally->tokens[k];
        if (seen == token || (tally->hashes[k] == hash && PyUnicode_Compare(seen, token) == 0)) {
            tally->counts[k]++;
            return 0;
        }
        at = (at + 1) & tally->mask;
    }
    tally->tokens[tally->n] = Py_NewRef(token);
    tally->hashes[tally->n] = hash;
    tally->counts[tally->n] = 1;
    tally->table[at] = ++tally->n;
    return 0;
}

/* The end of the token that starts at ``start`` (a word character) in the first ``n`` characters:
 * ``\w+(?:[.,'’]\d+|['’]\w+)*`` (python_token_counts' expression) matched there. */
static Py_ssize_t token_end(int kind, const void *data, Py_ssize_t n, Py_ssize_t start) {
    Py_ssize_t i = start;
    while (i < n && word_char(PyUnicode_READ(kind, data, i))) i++;
    while (i + 1 < n) {
        Py_UCS4 mark = PyUnicode_READ(kind, data, i), next = PyUnicode_READ(kind, data, i + 1);
        int apostrophe = mark == '\'' || mark == 0x2019;
        if ((apostrophe || mark == '.' || mark == ',') && Py_UNICODE_ISDECIMAL(next)) {
            i += 2;
            while (i < n && Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, i))) i++;
        } else if (apostrophe && word_char(next)) {
            i += 2;
            while (i < n && word_char(PyUnicode_READ(kind, data, i))) i++;
        } else {
            break;
        }
    }
    return i;
}

/* the token text[start:end] (through the memo where given) added to ``tally``; -1 on error */
static int tally_token(TokenTally *tally, PyObject *text, const void *data, const TokenMemoApi *api, PyObject *memo,
                       Py_ssize_t start, Py_ssize_t end) {
    PyObject *token = memo ? api->lookup_ascii(memo, (const unsigned char *)data + start, end - start)
                           : PyUnicode_Substring(text, start, end);
    if (token == NULL) return -1;
    if (memo && !PyUnicode_CheckExact(token)) {
        Py_DECREF(token);
        PyErr_SetString(PyExc_TypeError, "token_counts: the memo must give each token's str");
        return -1;
    }
    int status = tally_add(tally, token);
    Py_DECREF(token);
    return status;
}

/* the tally as a dict, made at its size (grown from empty, it was rebuilt five times over a 600-word
 * text); NULL on error */
static PyObject *tally_dict(const TokenTally *tally) {
    PyObject *counts = _PyDict_NewPresized(tally->n);
    if (counts == NULL) return NULL;
    for (Py_ssize_t k = 0; k < tally->n; k++) {
        PyObject *count = PyLong_FromSsize_t(tally->counts[k]);
        if (count == NULL || PyDict_SetItem(counts, tally->tokens[k], count) < 0) {
            Py_XDECREF(count);
            Py_DECREF(counts);
            return NULL;
        }
        Py_DECREF(count);
    }
    return counts;
}

/* The tokens of ``text`` counted in ``tally``, and (``lead`` not NULL) those of text[:lead_end] in
 * ``lead``: a token the bound cuts gives the lead what the cut text's own tokens are. */
static int count_tokens(PyObject *text, const TokenMemoApi *api, PyObject *memo, TokenTally *tally, TokenTally *lead,
                        Py_ssize_t lead_end) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0;
    while (i < n) {
        if (!word_char(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        i = token_end(kind, data, n, start);
        if (tally_token(tally, text, data, api, memo, start, i) < 0) return -1;
        if (lead == NULL || start >= lead_end) continue;
        if (i <= lead_end) {
            if (tally_token(lead, text, data, api, memo, start, i) < 0) return -1;
            continue;
        }
        for (Py_ssize_t j = start; j < lead_end;) { /* the cut token, read as the cut text reads it */
            if (!word_char(PyUnicode_READ(kind, data, j))) {
                j++;
                continue;
            }
            Py_ssize_t cut = token_end(kind, data, lead_end, j);
            if (tally_token(lead, text, data, api, memo, j, cut) < 0) return -1;
            j = cut;
        }
    }
    return 0;
}

/* the memo to read an ASCII text's tokens through (a TokenMemo giving each token's string: no string
 * built, and its hash cached, for a token seen before), or NULL */
static PyObject *usable_memo(PyObject *self, PyObject *text, PyObject *memo, const TokenMemoApi **api) {
    *api = ((TextscanState *)PyModule_GetState(self))->memo_api;
    return memo != NULL && memo != Py_None && *api != NULL && PyUnicode_IS_ASCII(text) ? memo : NULL;
}

static PyObject *token_counts(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "token_counts(text, memo=None): text must be a str");
        return NULL;
    }
    const TokenMemoApi *api;
    PyObject *memo = usable_memo(self, args[0], nargs == 2 ? args[1] : NULL, &api);
    TokenTally tally = {0};
    PyObject *counts = count_tokens(args[0], api, memo, &tally, NULL, 0) < 0 ? NULL : tally_dict(&tally);
    tally_free(&tally);
    return counts;
}

/* The end of the first ``count`` sentences of text[:limit] as python_sentences splits that prefix
 * (see split_sentences): where the boundary after the count-th non-empty piece starts, else limit. */
static Py_ssize_t sentences_end(int kind, const void *data, Py_ssize_t n, Py_ssize_t count) {
    Py_ssize_t start = 0, i = 0, found = 0;
    while (i < n) {
        Py_ssize_t end = boundary_end(kind, data, n, i);
        if (end < 0) {
            i++;
            continue;
        }
        Py_ssize_t a = start;
        while (a < i && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, a))) a++;
        if (a < i && ++found == count) return i; /* a piece that is not blank */
        start = i = end;
    }
    return n;
}

/* text_and_lead_counts(text, lead_sentences, lead_chars, memo=None) -> (counts, lead_counts)
 * copydesk.stories.features' token counts of the text and of its lead (``lead_of(text,
 * lead_sentences)`` read from text[:lead_chars]) in one pass: the lead's tokens are those of the
 * text up to where its first sentences end (a boundary holds no token, and the lead joins its
 * sentences with spaces), the lead's own string never made. */
static PyObject *text_and_lead_counts(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 3 || nargs > 4 || !PyUnicode_Check(args[0]) || !PyLong_Check(args[1]) || !PyLong_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "text_and_lead_counts(text, lead_sentences, lead_chars, memo=None)");
        return NULL;
    }
    PyObject *text = args[0];
    Py_ssize_t sentences = PyLong_AsSsize_t(args[1]), chars = PyLong_AsSsize_t(args[2]);
    if ((sentences == -1 || chars == -1) && PyErr_Occurred()) return NULL;
    const TokenMemoApi *api;
    PyObject *memo = usable_memo(self, text, nargs == 4 ? args[3] : NULL, &api);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), limit = chars < 0 ? 0 : chars < n ? chars : n;
    Py_ssize_t lead_end = sentences <= 0 ? 0 : sentences_end(PyUnicode_KIND(text), PyUnicode_DATA(text), limit, sentences);
    TokenTally tally = {0}, lead = {0};
    PyObject *out = NULL, *counts = NULL, *lead_counts = NULL;
    if (count_tokens(text, api, memo, &tally, &lead, lead_end) == 0 && (counts = tally_dict(&tally)) != NULL
        && (lead_counts = tally_dict(&lead)) != NULL)
        out = PyTuple_Pack(2, counts, lead_counts);
    Py_XDECREF(counts);
    Py_XDECREF(lead_counts);
    tally_free(&tally);
    tally_free(&lead);
    return out;
}

/* word_count(text) -> int: len(text.split()), without the list (the copy families rank every member
 * of a story by its length in words). */
static PyObject *word_count(PyObject *self, PyObject *text) {
    (void)self;
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "word_count(text): text must be a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), words = 0;
    int gap = 1;
    if (PyUnicode_IS_ASCII(text)) {
        const unsigned char *chars = PyUnicode_1BYTE_DATA(text);
        for (Py_ssize_t i = 0; i < n; i++) {
            int space = is_ascii_space(chars[i]);
            words += gap && !space;
            gap = space;
        }
    } else {
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        for (Py_ssize_t i = 0; i < n; i++) {
            int space = Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i));
            words += gap && !space;
            gap = space;
        }
    }
    return PyLong_FromSsize_t(words);
}

/* needle_positions(text, needles) -> list[int] | None: every position of an ASCII text where one of
 * the (ASCII, non-empty) needles starts, in order, each position once: str.find of each needle over
 * the whole text, again and again, in one pass (the interviewing outlet's five verbs: 8.5 -> ~2 us on
 * a 600-word text; a candidate's second character compared before the call, as the verbs start with
 * common letters: 11.4 -> 9.0 us a 600-word text of the stories benchmark, 7 Dec, a slow spell of
 * the machine). None for a text or a needle that is not ASCII. */
static PyObject *needle_positions(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "needle_positions(text, needles): a str and a tuple of str");
        return NULL;
    }
    PyObject *text = args[0], *needles = args[1];
    Py_ssize_t count = PyTuple_GET_SIZE(needles);
    if (!PyUnicode_IS_ASCII(text) || count > 64) Py_RETURN_NONE;
    const unsigned char *words[64];
    Py_ssize_t lengths[64];
    unsigned char starts[256] = {0};
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *needle = PyTuple_GET_ITEM(needles, k);
        if (!PyUnicode_Check(needle)) {
            PyErr_SetString(PyExc_TypeError, "needle_positions: each needle must be a str");
            return NULL;
        }
        if (!PyUnicode_IS_ASCII(needle) || PyUnicode_GET_LENGTH(needle) == 0) Py_RETURN_NONE;
        words[k] = PyUnicode_1BYTE_DATA(needle);
        lengths[k] = PyUnicode_GET_LENGTH(needle);
        starts[words[k][0]] = 1;
    }
    const unsigned char *chars = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *found = PyList_New(0);
    if (found == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!starts[chars[i]]) continue;
        for (Py_ssize_t k = 0; k < count; k++) {
            /* the second character before the call: a verb's first letter is a common one */
            if (lengths[k] <= n - i && words[k][0] == chars[i] && (lengths[k] == 1 || words[k][1] == chars[i + 1]) &&
                memcmp(chars + i, words[k], (size_t)lengths[k]) == 0) {
                PyObject *at = PyLong_FromSsize_t(i);
                if (at == NULL || PyList_Append(found, at) < 0) {
                    Py_XDECREF(at);
                    Py_DECREF(found);
                    return NULL;
                }
                Py_DECREF(at);
                break; /* the position once, whichever needles start there */
            }
        }
    }
    return found;
}

/* spacing_flags(text) -> int | None: what copydesk.clean.normalise.normalise_text's spacing steps
 * would find in an ASCII text, in one pass: 1 a character other than printable ASCII and the line
 * feed (needs_spacing), 2 two spaces in a row, 4 a space before a line feed, 8 three line feeds in a
 * row. None for a text that is not ASCII. The three substring tests it stands for cost 11 us on a
 * 600-word text (a two-character needle made of spaces meets a candidate at every space). */
static PyObject *spacing_flags(PyObject *self, PyObject *text) {
    (void)self;
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "spacing_flags(text): text must be a str");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(text)) Py_RETURN_NONE;
    const unsigned char *chars = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    long flags = 0;
    unsigned char before = 0, earlier = 0; /* the two characters before this one */
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = chars[i];
        if ((c < 0x20 && c != '\n') || c > 0x7E) flags |= 1;
        if (c == ' ' && before == ' ') flags |= 2;
        if (c == '\n') {
            if (before == ' ') flags |= 4;
            if (before == '\n' && earlier == '\n') flags |= 8;
        }
        earlier = before;
        before = c;
    }
    return PyLong_FromLong(flags);
}

/* python ``copydesk.fingerprint.normalise.normalise_for_hash`` of an ASCII text, as UTF-8 bytes: every
 * character that is not a letter, digit or underscore is a word break, capitals become small, words are
 * joined by single spaces. None for a text that is not ASCII (the caller takes the Unicode path). */
static PyObject *ascii_folded_words(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "ascii_folded_words(text): text must be a str");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(text)) Py_RETURN_NONE;
    const unsigned char *data = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), k = 0;
    PyObject *out = PyBytes_FromStringAndSize(NULL, n);
    if (out == NULL) return NULL;
    char *dst = PyBytes_AS_STRING(out);
    int gap = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = data[i];
        int upper = c >= 'A' && c <= 'Z';
        if (!(upper || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            gap = 1;
            continue;
        }
        if (gap && k > 0) dst[k++] = ' ';
        gap = 0;
        dst[k++] = (char)(upper ? c + 32 : c);
    }
    if (_PyBytes_Resize(&out, k) < 0) return NULL;
    return out;
}

static PyMethodDef textscan_methods[] = {
    {"needle_positions", (PyCFunction)(void (*)(void))needle_positions, METH_FASTCALL,
     "needle_positions(text, needles) -> list[int] | None: every position where one of the needles starts, "
     "in order, once each; None for a text or needle that is not ASCII."},
    {"spacing_flags", spacing_flags, METH_O,
     "spacing_flags(text) -> int | None: 1 a character other than printable ASCII and the line feed, 2 two "
     "spaces in a row, 4 a space before a line feed, 8 three line feeds in a row; None for a non-ASCII text."},
    {"marked_words", (PyCFunction)(void (*)(void))marked_words, METH_FASTCALL,
     "marked_words(lowered, languages_of, address) -> (counts, language, hits, addressed): function-word "
     "counts per language, the leading language and its count, and whether a word is in address."},
    {"raw_lines", raw_lines, METH_O,
     "raw_lines(text) -> [(start, end, blank lines before)] of every line of text that is not blank."},
    {"fact_flags", (PyCFunction)(void (*)(void))fact_flags, METH_FASTCALL,
     "fact_flags(facts, flags) -> int: bit b set when item flags[b] is true in any of the facts."},
    {"first_items", first_items, METH_O,
     "first_items(rows) -> frozenset: the first item of every tuple in a list of lists of tuples."},
    {"scan_ascii_line", (PyCFunction)(void (*)(void))scan_ascii_line, METH_FASTCALL,
     "scan_ascii_line(text, languages_of, address) -> (words, lowered, counts, language, hits, addressed, "
     "ends_sentence) | None: the words, marked_words and the sentence end of an ASCII line at once."},
    {"strong_join_near", (PyCFunction)(void (*)(void))strong_join_near, METH_FASTCALL,
     "strong_join_near(facts, known, article_words, max_run) -> bool: whether a fragment of the line and "
     "a token a short run of bare non-fragments away may join into a known word or one of the article's."},
    {"ascii_line_facts", (PyCFunction)(void (*)(void))ascii_line_facts, METH_FASTCALL,
     "ascii_line_facts(text, languages_of, address, facts_type, anchor_words, anchor_chars, latin, memo) -> "
     "facts | None: the line facts of an ASCII line without reader-address words, built whole."},
    {"text_and_lead_counts", (PyCFunction)(void (*)(void))text_and_lead_counts, METH_FASTCALL,
     "text_and_lead_counts(text, lead_sentences, lead_chars, memo=None) -> (counts, lead_counts): token_counts "
     "of the text and of lead_of(text, lead_sentences) (read from text[:lead_chars]) in one pass."},
    {"token_counts", (PyCFunction)(void (*)(void))token_counts, METH_FASTCALL,
     "token_counts(text, memo=None) -> dict[str, int]: copydesk.stories.features.python_token_counts, "
     "compiled; an ASCII text's tokens read through memo (a TokenMemo of their strings) where given."},
    {"ascii_folded_words", ascii_folded_words, METH_O,
     "ascii_folded_words(text) -> bytes | None: copydesk.fingerprint.normalise.normalise_for_hash of an ASCII "
     "text, encoded; None for other text."},
    {"word_count", word_count, METH_O, "word_count(text) -> int: len(text.split()), without the list."},
    {"split_sentences", split_sentences, METH_O,
     "split_sentences(text) -> list[str]: the text's sentences, as copydesk.stories.features.python_sentences "
     "splits them."},
    {NULL, NULL, 0, NULL},
};

/* The token memo's capsule, where copydesk._tokenmemo was built (ascii_line_facts reads without it). */
static int textscan_exec(PyObject *module) {
    TextscanState *state = PyModule_GetState(module);
    PyObject *memo_module = PyImport_ImportModule("copydesk._tokenmemo"); /* PyCapsule_Import walks attributes */
    state->memo_api = memo_module == NULL ? NULL : PyCapsule_Import("copydesk._tokenmemo.lookup_ascii", 0);
    Py_XDECREF(memo_module);
    if (state->memo_api == NULL) PyErr_Clear();
    return 0;
}

static PyModuleDef_Slot textscan_slots[] = {{Py_mod_exec, textscan_exec}, {0, NULL}};

static struct PyModuleDef textscan_module = {
    PyModuleDef_HEAD_INIT, "copydesk._textscan", "The per-line word scan, compiled.", sizeof(TextscanState),
    textscan_methods, textscan_slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__textscan(void) { return PyModuleDef_Init(&textscan_module); }
