"""Allows `python -m sciatica_pipeline`."""

from sciatica_pipeline.cli import main

main()
