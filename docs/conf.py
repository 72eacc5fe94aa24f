"""Sphinx configuration of the skann documentation.

Build (warnings are errors, as in CI)::

    pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build runs every example of the gallery (``examples/plot_*.py``).
"""

import os
import re
from pathlib import Path

import skann

# The examples run headless during the build.
os.environ.setdefault("MPLBACKEND", "Agg")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# -- Project -------------------------------------------------------------------
project = "skann"
author = "The skann developers"
copyright = "The skann developers"
release = skann.__version__
version = ".".join(release.split(".")[:2])

# -- Extensions ----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    # MathJax 3 shipped inside a pip package and copied into _static/mathjax:
    # the pages render their equations without reaching a CDN (offline
    # readers, closed networks, CI).
    "sphinx-mathjax-offline",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.codeobj.json",
]
root_doc = "index"
default_role = "py:obj"
pygments_style = "sphinx"
pygments_dark_style = "monokai"

# -- autodoc / autosummary / numpydoc -------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- MathJax -------------------------------------------------------------------
# sphinx-mathjax-offline sets mathjax_path to its local copy; say it again here
# so that the intent is visible and a future default cannot point to a CDN.
mathjax_path = "mathjax/tex-chtml.js"

# -- sphinx-gallery ------------------------------------------------------------
# Run every plot_*.py.  The Dask example runs without Dask too (it then streams
# from a memory-mapped file and says so), so every page has its output and its
# figure, with or without the "distributed" extra.

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": re.escape(os.sep) + "plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 1,
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skann",),
    "reset_modules": ("matplotlib",),
    "capture_repr": ("_repr_html_", "__repr__"),
    "remove_config_comments": True,
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skann {release}"
html_static_path = ["_static"]
html_css_files = ["skann.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "icon_links": [],
}
# Pages without a section of their own to navigate: no left sidebar.
_WIDE = ("index", "getting_started", "when_to_use", "good_defaults", "performance")
html_sidebars = {page: [] for page in _WIDE}
html_show_sourcelink = False
