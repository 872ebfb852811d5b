"""Benchmarks the repository carries: run as commands, never as tests."""
