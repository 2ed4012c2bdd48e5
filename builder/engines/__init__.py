"""Execution engines: how per-document work is spread over processes.

`local` is the embedded default (a process pool on this machine). A Ray engine is planned; it
will run the same plain functions (per-document steps, dedup stages) over batches.
"""
