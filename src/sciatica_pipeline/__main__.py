"""Allows `python -m sciatica_pipeline`."""

from .cli import main

main()
