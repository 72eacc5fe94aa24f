"""The shape of skann's own code: short functions, classes of a readable size
and short parameter lists, so that each piece can be read at once.

Sizes are counted in code lines: a docstring, a comment or a blank line is
not one.  A function's size is that of its body; the estimators'
constructors, whose parameters are scikit-learn's contract, are the only
long parameter lists.
"""

import ast
from pathlib import Path

import pytest

import skann

MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 450
MAX_PARAMETERS = 8
ESTIMATORS = ("ANNClassifier", "ANNRegressor")

SOURCES = sorted(Path(skann.__file__).parent.glob("*.py"))


def code_lines(lines, node):
    """The code lines of the body of ``node``, a function or a class in a
    module whose source lines are ``lines``."""
    docstrings = set()
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    numbers = set(range(node.body[0].lineno, node.end_lineno + 1)) - docstrings
    return sum(
        1
        for number in numbers
        if lines[number - 1].strip() and not lines[number - 1].lstrip().startswith("#")
    )


def definitions(path):
    """``(name, kind, code lines, parameters)`` of every function and class
    defined in the module at ``path``; ``name`` is qualified by its class."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                name = prefix + child.name
                found.append((name, "class", code_lines(lines, child), None))
                visit(child, name + ".")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = child.args
                parameters = [*args.posonlyargs, *args.args, *args.kwonlyargs]
                parameters += [a for a in (args.vararg, args.kwarg) if a is not None]
                name = prefix + child.name
                size = code_lines(lines, child)
                found.append((name, "function", size, len(parameters)))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def test_the_counts_skip_docstrings_comments_and_blank_lines(tmp_path):
    path = tmp_path / "example.py"
    path.write_text(
        "class A:\n"
        '    """A docstring\n    of two lines."""\n'
        "\n"
        "    def f(self, a, *b, c, **d):\n"
        '        "A docstring."\n'
        "        # a comment\n"
        "        x = (a,\n"
        "             c)\n"
        "        return x\n"
    )
    assert definitions(path) == [
        ("A", "class", 4, None),
        ("A.f", "function", 3, 5),
    ]


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_functions_and_classes_stay_short(path):
    too_long = [
        f"{name}: {size} code lines"
        for name, kind, size, _ in definitions(path)
        if size > (MAX_FUNCTION_LINES if kind == "function" else MAX_CLASS_LINES)
    ]
    assert not too_long, f"{path.name}: split {too_long}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_parameter_lists_stay_short(path):
    constructors = {f"{estimator}.__init__" for estimator in ESTIMATORS}
    too_many = [
        f"{name}: {count} parameters"
        for name, kind, _, count in definitions(path)
        if kind == "function" and count > MAX_PARAMETERS and name not in constructors
    ]
    assert not too_many, f"{path.name}: pass an object instead in {too_many}"
