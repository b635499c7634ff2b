"""Runnable demos of tinygrad_la; `make demo` runs them in order (see DEMOS in the Makefile)."""
