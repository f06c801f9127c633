"""Routes, one module per noun; each gives ``pages()`` (HTML) and ``api()`` (JSON under /api)."""
