"""Bundles: a checked repository compiled into one verifiable file that answers decisions alone.

``make`` turns a loaded repository into the file's bytes; ``load`` reads them back (no PyYAML,
jsonschema or Jinja2), verifying every digest first; ``fileformat`` is the layout both share.
"""
