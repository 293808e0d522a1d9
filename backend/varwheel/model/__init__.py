"""The variant model: properties, labels, filenames, variant documents, pyproject ``[variant]``, the
validated request, and uv's built-in provider registry.  Pure: no I/O beyond reading files it is
handed; it knows nothing about backends, the machine or the command line.
"""
