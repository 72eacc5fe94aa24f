"""The tutorial this project grew from: AND is learned, XOR needs a hidden layer."""

import subprocess
import sys

import numpy as np
import pytest

from skann import ANNClassifier

X_GATE = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])


def test_and_gate_with_the_lessons_settings():
    y = np.array([0, 0, 0, 1])
    clf = ANNClassifier(
        hidden_size=4, solver="gd", learning_rate=0.1, max_iter=10000, random_state=42
    ).fit(X_GATE, y)
    np.testing.assert_array_equal(clf.predict(X_GATE), [0, 0, 0, 1])
    curve = np.asarray(clf.loss_curve_)
    assert curve[-1] < 0.2 * curve[0]
    # Full-batch gradient descent with a small step: the cost never rises.
    assert np.all(np.diff(curve) <= 1e-12)


@pytest.mark.parametrize("solver", ["gd", "sgd", "adam", "lbfgs"])
def test_xor_is_learned_with_a_hidden_layer(solver):
    y = np.array([0, 1, 1, 0])
    lr = {"gd": 0.5, "sgd": 0.1, "adam": 0.05, "lbfgs": 0.001}[solver]
    clf = ANNClassifier(
        hidden_size=8, solver=solver, learning_rate=lr, max_iter=3000, random_state=0
    ).fit(X_GATE, y)
    np.testing.assert_array_equal(clf.predict(X_GATE), y)


def test_xor_is_not_linearly_separable():
    # identity hidden units make the network linear: XOR stays out of reach.
    y = np.array([0, 1, 1, 0])
    clf = ANNClassifier(
        hidden_size=8, activation="identity", solver="lbfgs", random_state=0
    ).fit(X_GATE, y)
    assert clf.score(X_GATE, y) < 1.0


def test_demo_runs_and_reports():
    out = subprocess.run(
        [sys.executable, "-m", "skann"], capture_output=True, text=True, check=True
    ).stdout
    assert "Epoch 9000: Cost" in out
    assert "Predictions: [0 0 0 1]" in out
    accuracy = float(out.split("Test accuracy:")[1].split()[0])
    assert accuracy > 0.9
