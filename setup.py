"""The optional compiled parts; the rest is in pyproject.toml.

- The C kernels (copydesk._textscan, _tokenmemo, _overlap, _weigh, _sentkeys, _links, _wordtable).
- The cleaning modules compiled with mypyc (``MYPYC_MODULES``): the same Python, run as C (the
  ingest's workers ~10% faster, ingest -> stories ~5%). Their build writes ``copydesk/_compiled.json``,
  each compiled source's hash, so that a compiled module whose source has changed since is never
  run (``copydesk._compiled``). ``COPYDESK_MYPYC=0`` builds without them.

Where no C compiler is at hand the install still succeeds and every part takes its pure-Python path
(the stories stage its numpy and difflib one), which gives the same results, more slowly.
``REQUIRE_COPYDESK_KERNELS=1`` (set by the Makefile where a compiler is found) makes a failed build
fail the install instead of passing unnoticed.
"""

import hashlib
import json
import os

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

REQUIRED = os.environ.get("REQUIRE_COPYDESK_KERNELS") == "1"
optional = not REQUIRED

# Modules the ingest's workers spend their time in, mostly glue around the C kernels, and the
# facts stage's union-find (millions of links in a large story). Left out:
# modules whose classes are subclassed outside them (mypyc's classes take no interpreted
# subclasses: clean/extract.py's PageExtractor) or whose frozen dataclasses travel to worker
# processes (mypyc unpickles by setattr, which a frozen class refuses: fingerprint/minhash.py's
# MinHashConfig, stories/features.py's FeatureWeights).
MYPYC_MODULES = [
    "src/copydesk/align/union.py",
    "src/copydesk/clean/chrome.py",
    "src/copydesk/clean/dates.py",
    "src/copydesk/clean/layout.py",
    "src/copydesk/clean/lines.py",
    "src/copydesk/clean/normalise.py",
    "src/copydesk/clean/outlets.py",
    "src/copydesk/clean/scoring.py",
    "src/copydesk/clean/spam.py",
    "src/copydesk/clean/spam_tokens.py",
    "src/copydesk/clean/spamwords.py",
    "src/copydesk/clean/stages.py",
    "src/copydesk/clean/textmeta.py",
    "src/copydesk/clean/textscan.py",
    "src/copydesk/clean/words.py",
    "src/copydesk/fingerprint/normalise.py",
]
MYPYC_GROUP = "copydesk"  # the shared library: copydesk__mypyc


def module_name(path: str) -> str:
    return path.removeprefix("src/").removesuffix(".py").replace("/", ".")


def source_hash(path: str) -> str:
    with open(path, "rb") as source:
        return hashlib.sha256(source.read()).hexdigest()


def mypyc_extensions() -> list[Extension]:
    if os.environ.get("COPYDESK_MYPYC") == "0":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:  # an in-place build without mypy (pip's builds have it: pyproject.toml)
        print("copydesk: mypy is not installed; the cleaning modules stay uncompiled")
        return []
    try:
        built = mypycify(MYPYC_MODULES, opt_level="3", group_name=MYPYC_GROUP)
    except BaseException:  # mypyc's type check failed: SystemExit
        if REQUIRED:
            raise
        return []
    for extension in built:
        extension.optional = optional
    return built


class BuildWithStamp(build_ext):
    """Builds the extensions, then writes ``_compiled.json`` beside them: the hash of each source
    whose compiled module is built. Where the shared library did not build, its modules' stubs are
    removed (each would fail its module's import instead of leaving it to Python)."""

    def finalize_options(self) -> None:
        # made here, not when setup.py loads: mypyc type-checks and writes its C each time it is
        # asked, and pip loads setup.py three times an install (only one of them builds)
        self.distribution.ext_modules = [*(self.distribution.ext_modules or []), *mypyc_extensions()]
        super().finalize_options()

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception:
            self.failed.add(ext.name)  # an optional one's error is then reported and passed over
            raise

    def run(self) -> None:
        self.failed: set[str] = set()
        super().run()
        names = {e.name for e in self.extensions}
        group = f"{MYPYC_GROUP}__mypyc"

        def built(name: str) -> bool:  # built now, or up to date with the C mypyc wrote now
            return name in names and name not in self.failed and os.path.exists(self.get_ext_fullpath(name))

        recorded = {}
        for path in MYPYC_MODULES:
            name = module_name(path)
            if built(group) and built(name):
                recorded[name] = source_hash(path)
            elif os.path.exists(self.get_ext_fullpath(name)):
                os.remove(self.get_ext_fullpath(name))  # an earlier build's, or its library failed
        stamp = os.path.join(os.path.dirname(self.get_ext_fullpath("copydesk._textscan")), "_compiled.json")
        with open(stamp, "w", encoding="utf-8") as out:
            json.dump({"modules": recorded}, out, indent=1, sort_keys=True)
            out.write("\n")


setup(
    cmdclass={"build_ext": BuildWithStamp},
    ext_modules=[
        Extension("copydesk._textscan", ["src/copydesk/_textscan.c"], optional=optional),
        Extension("copydesk._tokenmemo", ["src/copydesk/_tokenmemo.c"], optional=optional),
        Extension("copydesk._overlap", ["src/copydesk/_overlap.c"], optional=optional),
        Extension("copydesk._weigh", ["src/copydesk/_weigh.c"], optional=optional),
        Extension("copydesk._sentkeys", ["src/copydesk/_sentkeys.c"], optional=optional),
        Extension("copydesk._links", ["src/copydesk/_links.c"], optional=optional),
        Extension("copydesk._wordtable", ["src/copydesk/_wordtable.c"], optional=optional),
    ],
)
