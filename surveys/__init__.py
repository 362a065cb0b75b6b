"""The survey domain: models, schemas and services, free of HTTP concerns.

Services take an explicit SQLAlchemy session and keyword-only arguments; they raise the plain
exceptions of :mod:`surveys.core.errors`, which only the web shell turns into HTTP problems.
"""
