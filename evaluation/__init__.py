"""Evaluations as code: each writes a Markdown report (and data) under ``evaluation/reports/``."""
