"""Wheel archives: reading and structure checks, RECORD, the raw-copy zip writer, atomic output,
making a variant from a wheel, folder scanning.  Stands on :mod:`varwheel.model` only.
"""
