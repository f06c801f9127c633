"""Fingerprints: a normalised content hash for exact copies, MinHash signatures and LSH banding for
near copies, and the verification that explains every pair (``normalise``, ``minhash``, ``lsh``).

Optional embeddings would live here behind the ``embed`` extra; the story clusterer does not need them.
"""
