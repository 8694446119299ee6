"""Imported once by the forkserver that local pool workers are forked from (`kg.engines`): builds
the default pipeline there, so every worker starts with it instead of building its own."""

from kg.engines import preload_pipeline

preload_pipeline()
