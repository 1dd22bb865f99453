"""Running the pipeline: one entry point for every command, the worker pool, the per-run
memo and the atomic writer.
"""
