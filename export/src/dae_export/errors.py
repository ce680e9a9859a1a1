"""The two ways an export step can say no.

ExportError: the export cannot produce a valid model (a layer it does not convert, a parity or int8
gate failed, OUT cannot be written); the message is for the user as is, and the export stops.
RewriteNotApplicable: an optional graph rewrite does not fit this model (another architecture);
the step writes the next form instead. Kept apart so that a real failure inside a rewrite is never
mistaken for "not this architecture".
"""

from __future__ import annotations


class ExportError(Exception):
    """The export cannot produce a valid model; the message is for the user as is."""


class RewriteNotApplicable(Exception):
    """A graph rewrite does not apply to this model; the message says why, for a note."""
