"""scikit-learn's callback API (scikit-learn >= 1.9): ProgressBar and ScoringMonitor."""

import warnings

import numpy as np
import pytest
import sklearn.model_selection
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skann import ANNClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

callback = pytest.importorskip("sklearn.callback", reason="needs scikit-learn >= 1.9")


def test_set_callbacks_is_offered():
    assert hasattr(ANNClassifier(), "set_callbacks")


def test_progress_bar_and_scoring_monitor(capsys):
    pytest.importorskip("rich")
    X, y = load_digits(return_X_y=True)
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = ANNClassifier(hidden_size=16, max_iter=6, learning_rate=0.01, random_state=0)
    clf.set_callbacks(callback.ProgressBar(), monitor)
    clf.fit(X / 16, y)
    assert "ANNClassifier - fit" in capsys.readouterr().out
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert [row["task_id"] for row in epochs] == list(range(6))
    # each epoch is scored with that epoch's weights; the last equals the model
    assert epochs[-1]["accuracy"] == pytest.approx(clf.score(X / 16, y))
    assert epochs[0]["accuracy"] < epochs[-1]["accuracy"]


def test_scoring_monitor_inside_a_grid_search_with_a_progress_bar(capsys):
    pytest.importorskip("rich")
    X, y = load_digits(return_X_y=True)
    monitor = callback.ScoringMonitor(scoring="accuracy")
    pipe = make_pipeline(
        StandardScaler(),
        ANNClassifier(hidden_size=8, max_iter=3, random_state=0).set_callbacks(monitor),
    )
    search = sklearn.model_selection.GridSearchCV(
        pipe, {"annclassifier__learning_rate": [1e-3, 1e-2]}, cv=2, n_jobs=2
    ).set_callbacks(callback.ProgressBar(max_propagation_depth=None))
    search.fit(X, y)
    assert "ANNClassifier - fit" in capsys.readouterr().out
    rows = monitor.get_logs().data
    # 2 candidates x 2 folds + the refit, each with one root task and 3 epochs
    assert sum(row["task_name"] == "epoch" for row in rows) == 5 * 3


def test_callbacks_are_torn_down_when_fit_fails():
    pytest.importorskip("rich")
    clf = ANNClassifier().set_callbacks(callback.ProgressBar())
    with pytest.raises(ValueError, match="only one class"):
        clf.fit(np.ones((5, 2)), np.zeros(5))
    assert not hasattr(clf, "_callback_fit_ctx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_params(max_iter=2).fit(np.eye(4), [0, 1, 0, 1])
    assert clf.n_iter_ == 2
