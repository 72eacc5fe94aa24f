"""Builds skann's optional compiled loop, ``skann/_loop.pyx``, with Cython.

That file is generated here from ``skann/_loop.pyx.tp`` (see :func:`generate`).

setuptools rather than meson-python: skann has one extension module, and
setuptools lets it be optional (``Extension(optional=True)``), so that skann
installs and runs on its numpy core where no C compiler is at hand.  With
``SKANN_REQUIRE_COMPILED=1`` (as in CI) a failed build fails the install.
Everything else about the package is in pyproject.toml.
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import BaseError, CCompilerError

REQUIRED = os.environ.get("SKANN_REQUIRE_COMPILED") == "1"

# The loop mirrors numpy's order of operations; a fused multiply-add rounds
# once where numpy rounds twice, so contraction stays off.  gcc and clang take
# the same flags; MSVC's /fp:precise does not contract by default.
FLAGS = {
    "unix": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"],
    "mingw32": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"],
    "msvc": ["/O2", "/fp:precise"],
}


def numpy_only(reason):
    """The one line a build without the compiled loop prints."""
    print(
        "warning: skann's compiled loop was not built, so skann will run on numpy "
        "alone, at about half the speed (install a C compiler and reinstall to "
        f"build it); the build failed with: {reason}",
        file=sys.stderr,
    )


class BuildExt(build_ext):
    def build_extensions(self):
        flags = FLAGS.get(self.compiler.compiler_type, [])
        for ext in self.extensions:
            ext.extra_compile_args = flags
        super().build_extensions()

    def build_extension(self, ext):
        # What setuptools itself catches for an optional extension, reported
        # in one line that says what it means for the user.
        try:
            super().build_extension(ext)
        except (CCompilerError, BaseError) as error:
            if not ext.optional:
                raise
            numpy_only(error)


def generate(template="skann/_loop.pyx.tp"):
    """Write skann/_loop.pyx from its template: Tempita writes the loop once
    per dtype (see the template).  The file is rewritten only when its text
    changes, so that Cython does not compile an unchanged loop again."""
    from Cython import Tempita

    with open(template, encoding="utf-8") as f:
        text = Tempita.sub(f.read())
    target = template[: -len(".tp")]
    if os.path.exists(target):
        with open(target, encoding="utf-8") as f:
            if f.read() == text:
                return
    with open(target, "w", encoding="utf-8") as f:
        f.write(text)


def extensions():
    try:
        from Cython.Build import cythonize

        generate()
        modules = cythonize(
            [Extension("skann._loop", ["skann/_loop.pyx"])],
            compiler_directives={"language_level": 3},
        )
    except Exception as error:  # no Cython, or it failed: numpy alone
        if REQUIRED:
            raise
        numpy_only(repr(error))
        return []
    # cythonize returns new Extension objects, without the flags of those it
    # was given: optional must be set on what it returns.
    for module in modules:
        module.optional = not REQUIRED
    return modules


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
