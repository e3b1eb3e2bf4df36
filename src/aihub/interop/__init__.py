"""Interoperability with other challenge platforms: reading their formats, running their
protocols. Each platform is a subpackage (``codabench``)."""
