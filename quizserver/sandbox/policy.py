"""What instructor code may do: the AST checks, the builtins allowlist and the numpy/math allowlists.

Pure Python (no numpy import): the runner, the worker and the bank validator can all use it.
The AST check is the first fence; the worker's restricted builtins, attribute proxies, rlimits and
separate unprivileged process are the others.
"""
from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable
from types import CodeType
from typing import cast

# "not_run": a variant skipped because an earlier one of the same batch ran out of time
AUTHOR_ERROR_KINDS = ("syntax", "forbidden", "runtime", "timeout", "memory", "require", "result", "crash", "not_run")

LABELS = ("solution", "require", "expression")
_WHERE = {"solution": "solution code", "require": "require", "expression": "check expressions"}


class AuthorError(Exception):
    """Instructor code failed or was refused; `message` is a sentence written for the instructor.

    `kind` is one of AUTHOR_ERROR_KINDS; `line` is the line within the code snippet when known.
    """

    def __init__(self, message: str, kind: str, line: int | None = None) -> None:
        if kind not in AUTHOR_ERROR_KINDS:
            raise ValueError(f"unknown AuthorError kind {kind!r}")
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.line = line

    def __reduce__(self):
        return (AuthorError, (self.message, self.kind, self.line))

    def as_dict(self) -> dict:
        return {"kind": self.kind, "message": self.message, "line": self.line}

    @classmethod
    def from_dict(cls, data: dict) -> AuthorError:
        return cls(str(data["message"]), str(data["kind"]), data.get("line"))


ALLOWED_BUILTINS = frozenset(
    """abs min max sum range len enumerate zip map filter sorted reversed round int float bool list tuple
    dict set frozenset str any all pow divmod isinstance issubclass slice iter next print complex chr ord
    hash repr callable True False None Ellipsis NotImplemented
    Exception ArithmeticError ValueError ZeroDivisionError TypeError IndexError KeyError LookupError
    OverflowError FloatingPointError AssertionError StopIteration RuntimeError NotImplementedError""".split()
)

# Public numpy names that are ordinary math and array functions, constants and dtypes.
NUMPY_ALLOWED = frozenset(
    """abs absolute add subtract multiply divide true_divide floor_divide power float_power mod remainder
    fmod divmod negative positive reciprocal sign sqrt cbrt square exp exp2 expm1 log log2 log10 log1p
    logaddexp logaddexp2 sin cos tan arcsin arccos arctan arctan2 asin acos atan atan2 sinh cosh tanh
    arcsinh arccosh arctanh asinh acosh atanh hypot deg2rad rad2deg degrees radians floor ceil trunc rint
    round around fix clip maximum minimum fmax fmin heaviside sinc fabs signbit copysign nextafter spacing
    ldexp frexp gcd lcm isnan isinf isfinite isposinf isneginf isclose allclose array_equal array_equiv
    equal not_equal less less_equal greater greater_equal logical_and logical_or logical_not logical_xor
    bitwise_and bitwise_or bitwise_xor invert left_shift right_shift sum prod cumsum cumprod cumulative_sum
    cumulative_prod mean median average std var min max amin amax nanmin nanmax nansum nanprod nanmean
    nanmedian nanstd nanvar nanargmin nanargmax argmin argmax argsort sort partition argpartition lexsort
    ptp percentile quantile nanpercentile nanquantile all any count_nonzero nonzero flatnonzero argwhere
    where select piecewise diff ediff1d gradient trapezoid convolve correlate cross dot vdot inner outer
    matmul vecdot matvec vecmat tensordot einsum einsum_path kron trace diag diagonal diagflat tril triu
    tri eye identity zeros ones full empty zeros_like ones_like full_like empty_like array asarray
    asanyarray ascontiguousarray copy arange linspace logspace geomspace meshgrid mgrid ogrid indices ix_
    reshape ravel transpose permute_dims matrix_transpose swapaxes moveaxis rollaxis expand_dims squeeze
    concatenate concat stack unstack vstack hstack dstack column_stack block split array_split hsplit
    vsplit dsplit tile repeat flip fliplr flipud roll rot90 pad broadcast_to broadcast_arrays
    broadcast_shapes atleast_1d atleast_2d atleast_3d shape size ndim unique unique_values unique_counts
    unique_inverse unique_all searchsorted histogram histogram_bin_edges bincount digitize interp polyval
    polyfit roots poly polyder polyint real imag conj conjugate angle real_if_close isreal iscomplex
    isrealobj iscomplexobj isscalar nan_to_num take take_along_axis put_along_axis choose compress extract
    append insert delete resize unravel_index ravel_multi_index triu_indices tril_indices diag_indices
    triu_indices_from tril_indices_from diag_indices_from fill_diagonal vander apply_along_axis
    apply_over_axes vectorize errstate array2string array_str array_repr format_float_positional
    format_float_scientific result_type promote_types can_cast astype finfo iinfo dtype ndarray generic
    number integer signedinteger unsignedinteger floating complexfloating inexact bool bool_ int8 int16
    int32 int64 uint8 uint16 uint32 uint64 intp uintp float16 float32 float64 longdouble complex64
    complex128 str_ pi e inf nan newaxis euler_gamma""".split()
)

NUMPY_SUBMODULES: dict[str, frozenset[str]] = {
    "linalg": frozenset(
        """LinAlgError cholesky cond cross det diagonal eig eigh eigvals eigvalsh inv lstsq matmul
        matrix_norm matrix_power matrix_rank matrix_transpose multi_dot norm outer pinv qr slogdet solve
        svd svdvals tensordot tensorinv tensorsolve trace vecdot vector_norm""".split()
    ),
    "fft": frozenset(
        """fft fft2 fftfreq fftn fftshift hfft ifft ifft2 ifftn ifftshift ihfft irfft irfft2 irfftn rfft
        rfft2 rfftfreq rfftn""".split()
    ),
    "emath": frozenset("arccos arcsin arctanh log log10 log2 logn power sqrt".split()),
}

# Attribute names that lead to files, pickles, raw memory, frames or str.format's field lookups.
DENIED_ATTRIBUTES = frozenset(
    """format format_map tofile dump dumps load loads save savez savez_compressed savetxt loadtxt
    fromfile tostring ctypes mro""".split()
)
# generator, coroutine, frame, traceback and code object internals
DENIED_ATTRIBUTE_PREFIXES = ("gi_", "cr_", "ag_", "f_", "tb_", "co_")

_REFUSED_NODES: dict[type, str] = {
    ast.Import: "import statements are",
    ast.ImportFrom: "import statements are",
    ast.ClassDef: "class definitions are",
    ast.Global: "global statements are",
    ast.Nonlocal: "nonlocal statements are",
    ast.Match: "match statements are",
    ast.AsyncFunctionDef: "async functions are",
    ast.AsyncFor: "async loops are",
    ast.AsyncWith: "async with statements are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.YieldFrom: "yield from is",
}

_PYTHON_BUILTINS = frozenset(dir(builtins))


def check_code(
    source: str, label: str = "solution", mode: str = "exec", known_names: Iterable[str] = ()
) -> CodeType:
    """Parse, check and compile instructor code; raise AuthorError (syntax/forbidden) when refused.

    label is "solution", "require" or "expression" (used in messages and as the code's filename);
    mode is "exec" or "eval"; known_names are the names the code will find already defined.
    """
    where = _WHERE[label]
    try:
        tree = ast.parse(source, filename=f"<{label}>", mode=mode)
    except SyntaxError as exc:
        line = exc.lineno or 1
        raise AuthorError(f"line {line}: syntax error in {where}: {exc.msg}", "syntax", line) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise AuthorError(f"line 1: {where} could not be parsed: {exc}", "syntax", 1) from None
    _PolicyVisitor(where, _bound_names(tree) | set(known_names)).visit(tree)
    # mode "exec" or "eval" makes ast.parse give a Module or an Expression, which compile takes
    return compile(cast("ast.Module | ast.Expression", tree), f"<{label}>", mode)


def _bound_names(tree: ast.AST) -> set[str]:
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


class _PolicyVisitor(ast.NodeVisitor):
    def __init__(self, where: str, bound: set[str]) -> None:
        self.where = where
        self.bound = bound

    def refuse(self, node: ast.AST, what: str) -> None:
        line = getattr(node, "lineno", 1)
        raise AuthorError(f"line {line}: {what} not allowed in {self.where}", "forbidden", line)

    def unavailable(self, node: ast.AST, name: str) -> None:
        line = getattr(node, "lineno", 1)
        raise AuthorError(f"line {line}: {name} is not available in {self.where}", "forbidden", line)

    def generic_visit(self, node: ast.AST) -> None:
        refused = _REFUSED_NODES.get(type(node))
        if refused:
            self.refuse(node, refused)
        super().generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is None:
            self.refuse(node, "a bare `except:` (name the exception, e.g. `except ValueError:`) is")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if name.startswith("__"):
            self.refuse(node, f"names starting with '__' ({name}) are")
        if (
            isinstance(node.ctx, ast.Load)
            and name in _PYTHON_BUILTINS
            and name not in ALLOWED_BUILTINS
            and name not in self.bound
        ):
            self.unavailable(node, f"{name}()" if callable(getattr(builtins, name)) else name)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if attr.startswith("_"):
            self.refuse(node, f"attribute names starting with '_' (.{attr}) are")
        dotted = self._module_path(node.value)
        if dotted is not None and not _module_allows(dotted, attr):
            self.unavailable(node, ".".join((*dotted, attr)))
        if attr in DENIED_ATTRIBUTES or attr.startswith(DENIED_ATTRIBUTE_PREFIXES):
            self.refuse(node, f"the attribute .{attr} is")
        if not isinstance(node.ctx, ast.Load):
            self.refuse(node, f"assigning to attributes (.{attr}) is")
        self.generic_visit(node)

    def _module_path(self, node: ast.expr) -> tuple[str, ...] | None:
        """("np",) or ("np", "linalg") or ("math",) when node names an unshadowed proxy, else None."""
        if isinstance(node, ast.Name) and node.id in ("np", "math") and node.id not in self.bound:
            return (node.id,)
        if isinstance(node, ast.Attribute) and node.attr in NUMPY_SUBMODULES:
            parent = self._module_path(node.value)
            if parent == ("np",):
                return ("np", node.attr)
        return None


def _module_allows(dotted: tuple[str, ...], attr: str) -> bool:
    if dotted == ("math",):
        return not attr.startswith("_")  # every public name of math is a harmless function or constant
    if dotted == ("np",):
        return attr in NUMPY_ALLOWED or attr in NUMPY_SUBMODULES
    return attr in NUMPY_SUBMODULES[dotted[1]]
