# The codes of the compiled loop, declared once for C and for Python (each
# ``cpdef enum`` is also a Python ``IntEnum`` of skann._loop).  A code is the
# position of its row in skann._activations' tables, and
# tests/test_compiled.py checks that each name here is that row's name.

cpdef enum Hidden:  # the hidden layers' activation function (HIDDEN)
    HIDDEN_IDENTITY
    HIDDEN_RELU
    HIDDEN_TANH
    HIDDEN_LOGISTIC

cpdef enum OutputLayer:  # the output layer and its loss (OUTPUT_LAYERS)
    OUTPUT_LOGISTIC
    OUTPUT_SOFTMAX
    OUTPUT_IDENTITY

cpdef enum Solver:  # the optimizer (SOLVERS)
    SOLVER_GD
    SOLVER_SGD
    SOLVER_ADAM
