"""Sweeps: the in-process executor, the Dask executor and its workers."""
