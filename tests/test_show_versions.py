"""skann.show_versions(): versions, BLAS, and plainly whether the compiled loop runs."""

import re
from pathlib import Path

import numpy as np
import scipy
import sklearn

import skann
from skann import _compiled


def shown(capsys):
    skann.show_versions()
    return capsys.readouterr().out


def test_it_prints_the_versions_and_blas(capsys):
    out = shown(capsys)
    for name, version in [
        ("skann", skann.__version__),
        ("numpy", np.__version__),
        ("scipy", scipy.__version__),
        ("sklearn", sklearn.__version__),
    ]:
        assert f"{name}: {version}" in out
    assert "python: " in out and "threadpoolctl info:" in out
    assert "internal_api: openblas" in out or "user_api: blas" in out


def test_it_says_whether_the_compiled_loop_runs(capsys, monkeypatch):
    out = shown(capsys)
    if _compiled.COMPILED and _compiled.enabled:
        assert "compiled loop: in use (" in out and "_loop" in out
    monkeypatch.setattr(_compiled, "enabled", False)
    assert "switched off" in shown(capsys) or not _compiled.COMPILED
    # as after a failed build: the import failed, and it says so plainly
    monkeypatch.setattr(_compiled, "COMPILED", False)
    monkeypatch.setattr(
        _compiled, "IMPORT_ERROR", "ModuleNotFoundError: No module named 'skann._loop'"
    )
    line = next(line for line in shown(capsys).splitlines() if "compiled loop:" in line)
    assert "NOT in use" in line and "numpy core" in line
    assert "No module named 'skann._loop'" in line
    assert "SKANN_REQUIRE_COMPILED=1" in line


def test_the_version_is_the_changelogs_latest_release():
    # (CI's runs of the installed package copy CHANGELOG.md beside the tests)
    changelog = Path(__file__).parents[1] / "CHANGELOG.md"
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog.read_text(), re.M)
    assert releases[0] == skann.__version__
