"""The Python backend: a typed spec compiled to Python source (compiler.py, one module
per part of it, its runtime helpers, packing, quantifier shapes, symmetry), loaded as
the `Model` every explicit engine consumes (model.py), and model files that select
what to check."""
