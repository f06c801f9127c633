"""The C kernels under AddressSanitizer and UndefinedBehaviorSanitizer.

The kernels read every crawled text copydesk is given, through raw pointers; a read past a buffer or
an overflow there gives wrong results or a crash in a user's ingest, not a failed test, unless the
kernels' own tests run with the checks compiled in. This builds each kernel with them into a copy of
the package (its Python sources only, so nothing else compiled shadows them) and runs the kernels'
tests against that copy in a subprocess with the sanitizers' runtimes loaded first; any report fails
the test with the report; so do the demo corpus's pages, mutated (``tests/support/mutated_pages.py``),
through the workers' pipeline. It needs gcc and its sanitizer runtimes (Debian's gcc brings both), and
skips without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import copydesk

REPO = Path(__file__).resolve().parent.parent
PACKAGE = Path(copydesk.__file__).parent
KERNELS = sorted(PACKAGE.glob("_*.c"))
# the tests that call each kernel directly, against its Python reference (hypothesis) and with
# wrong arguments
KERNEL_TESTS = [
    "tests/test_clean_textscan.py",
    "tests/test_weigh_kernel.py",
    "tests/test_overlap_kernels.py",
    "tests/test_story_text_kernels.py",
    "tests/test_wordtable.py",
    "tests/test_stories_cluster.py",
    "tests/test_fingerprint.py",
]
FLAGS = [
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=undefined",  # an undefined behaviour stops the run, as a read out of bounds does
    "-fno-omit-frame-pointer",
    "-g",
    "-O1",
]
REPORT_MARKS = ("runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer")


def _runtime(name: str) -> str | None:
    """The full path of one of gcc's runtime libraries, or None where gcc does not have it."""
    try:
        found = subprocess.run(
            ["gcc", f"-print-file-name={name}"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return found if os.path.isabs(found) and os.path.exists(found) else None


def _build(source: Path, out_dir: Path) -> None:
    include = sysconfig.get_paths()["include"]
    target = out_dir / (source.stem + sysconfig.get_config_var("EXT_SUFFIX"))
    done = subprocess.run(
        ["gcc", "-shared", "-fPIC", *FLAGS, f"-I{include}", str(source), "-o", str(target)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"{source.name} did not build with the sanitizers:\n{done.stderr}"


@pytest.mark.slow
def test_the_kernels_tests_pass_with_the_sanitizers(tmp_path: Path) -> None:
    runtimes = [_runtime("libasan.so"), _runtime("libubsan.so")]
    if shutil.which("gcc") is None or None in runtimes:
        pytest.skip("gcc with its AddressSanitizer and UndefinedBehaviorSanitizer runtimes is not installed")
    if not os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")):
        pytest.skip("Python's headers are not installed")
    copy = tmp_path / "src" / "copydesk"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("*.so", "__pycache__", "_compiled.json"))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda source: _build(source, copy), KERNELS))
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path / "src"),
        "LD_PRELOAD": " ".join(r for r in runtimes if r),
        # Python frees nothing at exit by design: leaks are not looked for
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0",
        "UBSAN_OPTIONS": "print_stacktrace=1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("COPYDESK_PURE_PYTHON", None)
    names = [k.stem for k in KERNELS]
    check = "; ".join(
        [
            "import importlib, sys",
            f"mods = [importlib.import_module('copydesk.' + n) for n in {names!r}]",
            f"assert all(m.__file__.startswith({str(copy)!r}) for m in mods), [m.__file__ for m in mods]",
        ]
    )

    def run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Python with ``args`` on the sanitized copy."""
        return subprocess.run(
            [sys.executable, *args], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=timeout
        )

    done = run(["-c", check], 120)
    assert done.returncode == 0, f"the sanitized kernels were not the ones imported:\n{done.stderr}"
    # -s: a sanitizer's report goes to the process's stderr, which pytest would otherwise capture and
    # lose when the report ends the process
    pytest_args = ["-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "--rootdir", str(REPO)]
    _assert_clean(
        run([*pytest_args, "-c", str(REPO / "pyproject.toml"), *[str(REPO / t) for t in KERNEL_TESTS]], 900)
    )
    # and the demo corpus's pages, mutated, along the paths the pipeline calls the kernels by
    done = run([str(REPO / "tests" / "support" / "mutated_pages.py"), "--pages", "400"], 600)
    _assert_clean(done)
    assert "400 mutated pages" in done.stdout, done.stdout


def _assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    output = done.stdout + done.stderr
    reports = [line for line in output.splitlines() if any(mark in line for mark in REPORT_MARKS)]
    assert not reports and done.returncode == 0, "\n".join(reports) + "\n" + output[-6000:]
