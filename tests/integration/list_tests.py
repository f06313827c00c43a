"""Prints the ctest units of an integration test module, one per line, without importing it.

A unit is `module.Class.test_method`, or `module.Class` when the class shares a fixture between
its methods (setUpClass / setUpModule), so that ctest can run the units of a long module on
separate cores. Usage: list_tests.py test_x.py
"""
import ast
import os
import sys


def units(path):
    module = os.path.splitext(os.path.basename(path))[0]
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    if any(isinstance(n, ast.FunctionDef) and n.name == "setUpModule" for n in tree.body):
        return [module]
    out = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        methods = [n.name for n in node.body if isinstance(n, ast.FunctionDef)]
        tests = [m for m in methods if m.startswith("test")]
        if not tests:
            continue
        if "setUpClass" in methods:
            out.append(f"{module}.{node.name}")
        else:
            out.extend(f"{module}.{node.name}.{m}" for m in tests)
    return out or [module]


if __name__ == "__main__":
    for unit in units(sys.argv[1]):
        print(unit)
