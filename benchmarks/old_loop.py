"""Build an earlier skann, e.g. the hand-written C loop of 0.1, as package
``skann_old``, so that ``bench.py --old DIR`` can race it against today's loop
in the same process::

    python benchmarks/old_loop.py 88a389e /tmp/old
    python benchmarks/bench.py --only w1core --old /tmp/old

It is built in place in ``DIR`` with the running Python's C compiler and
never installed.  (The C extension's init function is named after its module,
``_kernels``, so it loads under another package name as is.)
"""

import io
import os
import subprocess
import sys
import tarfile

SETUP = """\
from setuptools import Extension, setup

setup(
    name="skann_old",
    packages=["skann_old"],
    ext_modules=[
        Extension(
            "skann_old._kernels",
            ["skann_old/_kernels.c"],
            depends=["skann_old/_kernels_impl.h"],
            extra_compile_args={flags!r},
        )
    ],
)
"""
# The flags 0.1's pyproject.toml compiled its loop with.
FLAGS = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"]


def main(commit, directory):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    archive = subprocess.run(
        ["git", "-C", root, "archive", commit, "skann"],
        capture_output=True,
        check=True,
    ).stdout
    os.makedirs(directory, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    target = os.path.join(directory, "skann_old")
    if os.path.exists(target):
        subprocess.run(["rm", "-rf", target], check=True)
    os.rename(os.path.join(directory, "skann"), target)
    with open(os.path.join(target, "BUILT_FROM"), "w") as f:
        f.write(commit + "\n")
    with open(os.path.join(directory, "setup.py"), "w") as f:
        f.write(SETUP.format(flags=FLAGS))
    subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
        cwd=directory,
        check=True,
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
