"""Block types (one declaration each, in one registry) and the check that infers every shape.

Imports neither Qt nor torch: shapes, parameter counts and MACs are computed by formula.
"""
