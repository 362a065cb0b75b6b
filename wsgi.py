"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from vocservice import create_app

app = create_app()
