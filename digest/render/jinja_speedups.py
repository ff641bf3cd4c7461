"""Jinja made faster for digest's templates, in this one module: it relies on Jinja internals
(the code generator's ``_output_child_pre``, ``Context.call``), which a Jinja release may change;
``pyproject.toml`` bounds the Jinja version, and tests/test_render_env.py renders every
template with and without these and fails if the bytes differ or the internals moved.

What they do, measured on the site page of a date:
- autoescaped output is written by :func:`output_escape`, a plain ``str``, where markupsafe's
  ``escape`` wraps each result in a new ``Markup`` (a sixth of the page's time);
- macros, built-in functions and unmarked Python functions are called straight away, where
  Jinja first asks any callable whether it wants the context (a tenth of a day's outputs);
- ``join`` of plain strings is one ``str.join``;
- compiled templates are kept on disk between builds (:class:`BytecodeCache`), 0.1 s a build.
"""

from __future__ import annotations

import contextlib
import types
from functools import lru_cache
from typing import Any

import jinja2
import jinja2.bccache
import jinja2.compiler
import jinja2.filters
import jinja2.nodes
import jinja2.runtime
from markupsafe import escape

try:  # markupsafe's C escaping of a str, without wrapping the result in a Markup
    from markupsafe._speedups import _escape_inner
except ImportError:  # pragma: no cover - a markupsafe without its speedups

    def _escape_inner(s: str, /) -> str:
        return str(escape(s))


escape_text = _escape_inner  # what an autoescaped str becomes, as a plain str


def output_escape(value: object, /) -> str:
    """What an autoescaped ``{{ value }}`` writes: the same text as markupsafe's ``escape``,
    but as a plain str (the output is joined into one string anyway). markupsafe's ``escape``
    wraps each result in a new ``Markup``, which took a sixth of the time of a site page."""
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return value.__html__()  # type: ignore[no-any-return]
    return _escape_inner(str(value))


class CodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's code generator, with autoescaped output written by :func:`output_escape`."""

    def _output_child_pre(
        self, node: jinja2.nodes.Expr, frame: jinja2.compiler.Frame, finalize: Any
    ) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile and finalize.src is None:
            self.write("environment.output_escape(")
        else:
            super()._output_child_pre(node, frame, finalize)


_DIRECT = (jinja2.runtime.Macro, types.BuiltinFunctionType)  # they never take a context


@lru_cache(maxsize=1024)
def _takes_nothing(function: Any) -> bool:
    return getattr(function, "jinja_pass_arg", None) is None


def _plain(call: Any) -> bool:
    """Whether a Python function or method (``site.paper_url``, ``paths.day_page``) is not
    marked to take the context, the environment or the evaluation context."""
    return _takes_nothing(getattr(call, "__func__", call))


class FastContext(jinja2.runtime.Context):
    """Jinja's context, calling a macro, a built-in function (``items()``, ``isoformat()``) or
    an unmarked Python function straight away: Jinja first asks any callable whether it wants
    the context, the environment or neither, which took about a tenth of the time of a day's
    outputs."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        kind = type(__obj)
        if kind not in _DIRECT and not (
            (kind is types.MethodType or kind is types.FunctionType) and _plain(__obj)
        ):
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja's own call does
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


@jinja2.pass_eval_context
def join(eval_ctx: jinja2.nodes.EvalContext, value: Any, d: str = "", attribute: Any = None) -> str:
    """Jinja's ``join``, with words joined by a plain separator done at once (authors,
    keywords): the same string, without Jinja's look at each word for ``__html__``."""
    plain = attribute is None and type(d) is str and type(value) in (list, tuple)
    if plain and all(type(v) is str for v in value):
        return d.join(value)
    return jinja2.filters.sync_do_join(eval_ctx, value, d, attribute)  # type: ignore[no-any-return]


class FastEnvironment(jinja2.Environment):
    """An environment with the speedups above."""

    code_generator_class = CodeGenerator
    context_class = FastContext
    output_escape = staticmethod(output_escape)


_CODE_VERSION = "digest-codegen-1"  # change with CodeGenerator


class BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Templates compiled by an earlier build, kept in Jinja's own cache folder (in the temp
    directory, per user): compiling them took 0.1 s of every build and of every worker. Jinja
    checks each entry against the template's source. A cache that cannot be read or written
    only makes the build slower."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        # code from another code generator (Jinja's own, an older digest) is not ours to run
        return super().get_cache_key(f"{name}|{_CODE_VERSION}", filename)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """Our bytecode cache, or ``None`` where there is no safe temporary folder."""
    try:
        return BytecodeCache()
    except (RuntimeError, OSError):  # no safe temporary folder
        return None
