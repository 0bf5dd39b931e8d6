"""Utilities that know nothing of the model: errors and their one-line messages, months, strict YAML, packaged
files, atomic files and provenance, folder locks, signals and worker processes, optional extras."""
