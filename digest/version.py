"""digest's version (in a module of its own: every stage may import it without importing the
package's public API, and so the whole pipeline, with it)."""

__version__ = "0.1.0"
