"""Reading the structured keys of a question: params, check, tolerance, choices and answer.

No Flask, no SQLAlchemy."""
from __future__ import annotations

import keyword
from typing import Any

from quizserver.grading import DEFAULT_ATOL, DEFAULT_RTOL, Tolerance
from quizserver.grading.types import MAX_DIGITS

from .fields import FieldReader, found, is_int, is_number, item_line, key_line
from .model import CONSTANT, PARAM_KINDS, Check, Choice, ParamSpec

CHOICE_KEYS = ("text", "correct", "feedback")
PARAM_KEYS = (*PARAM_KINDS, "shape", "round")
CHECK_KEYS = ("gradient_of", "wrt", "equals", "rtol", "atol")
TOLERANCE_KEYS = ("rtol", "atol", "sigfig", "decdig")
# names the author code already has, so a parameter must not hide them
RESERVED_PARAM_NAMES = ("np", "math", "answer")
MAX_ROUND = 12


class KeyReader(FieldReader):
    # -- params

    def params(self, item: dict, line: int) -> tuple[ParamSpec, ...] | None:
        specs = self.mapping_of(item, "params", "{x: {normal: [0, 1]}}", line)
        if specs is None:
            return None
        built: list[ParamSpec] = []
        ok = True
        for name, spec in specs.items():
            param = self.param(name, spec, key_line(specs, name, line))
            ok = ok and param is not None
            if param is not None:
                built.append(param)
        return tuple(built) if ok else None

    def param(self, name: Any, spec: Any, line: int) -> ParamSpec | None:
        errors_before = self.error_count()
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            self.error(line, f"parameter name {found(name)} must be a Python name such as x or W1")
        elif name.startswith("_"):
            self.error(line, f"parameter name '{name}' must not start with '_'")
        elif name in RESERVED_PARAM_NAMES:
            self.error(line, f"parameter name '{name}' is reserved; choose another name")
        if is_number(spec) or (isinstance(spec, list) and spec and _numbers_only(spec)):
            # `eps: 1.0e-5`: a constant; it takes nothing from the random draws
            if self.error_count() > errors_before:
                return None
            return ParamSpec(name=name, kind=CONSTANT, args=(spec,), line=line)
        if not isinstance(spec, dict):
            example = "{normal: [0, 1]}"
            self.error(line, f"parameter '{name}' must be a mapping such as {example} (or a plain number, "
                             f"a constant), got {found(spec)}")
            return None
        self.check_keys(spec, PARAM_KEYS, (), line)
        kinds = [k for k in PARAM_KINDS if k in spec]
        if not kinds:
            self.error(line, f"parameter '{name}' needs one of {', '.join(PARAM_KINDS)}")
            return None
        if len(kinds) > 1:
            self.error(line, f"parameter '{name}' has {' and '.join(kinds)}; give exactly one of them")
            return None
        kind = kinds[0]
        args = self.param_args(name, kind, spec[kind], key_line(spec, kind, line))
        shape = None
        if "shape" in spec:
            shape = self.param_shape(name, spec["shape"], key_line(spec, "shape", line))
        rounding = self.whole_number(spec, "round", 0, MAX_ROUND, line) if "round" in spec else None
        if self.error_count() > errors_before or args is None:
            return None
        return ParamSpec(name=name, kind=kind, args=args, shape=shape, round=rounding, line=line)

    def param_args(self, name: Any, kind: str, value: Any, line: int) -> tuple[Any, ...] | None:
        if kind == "choice":
            if not isinstance(value, list) or not value:
                self.error(line, f"choice for '{name}' must be a list of numbers, got {found(value)}")
                return None
            wrong = [v for v in value if not is_number(v)]
            if wrong:
                self.error(line, f"choice for '{name}' must list only numbers, got {found(wrong[0])}")
                return None
            return tuple(value)
        usage = {"uniform": "[low, high]", "normal": "[mean, sigma]", "randint": "[low, high]"}[kind]
        is_wanted = is_int if kind == "randint" else is_number
        wanted = "whole numbers" if kind == "randint" else "numbers"
        if not isinstance(value, list) or len(value) != 2 or not all(is_wanted(v) for v in value):
            self.error(line, f"{kind} for '{name}' must be two {wanted} {usage}, got {found(value)}")
            return None
        first, second = value
        if kind == "normal" and second < 0:
            self.error(line, f"normal for '{name}' has sigma {second}; sigma must be zero or more")
            return None
        if kind != "normal" and first > second:
            self.error(line, f"{kind} for '{name}' has low {first} above high {second}")
            return None
        return (first, second)

    def param_shape(self, name: Any, value: Any, line: int) -> tuple[int, ...] | None:
        dims = [value] if is_int(value) else value
        if not isinstance(dims, list) or not dims or not all(is_int(d) and d > 0 for d in dims):
            self.error(line, f"shape for '{name}' must be a positive whole number or a list of them, "
                             f"got {found(value)}")
            return None
        return tuple(dims)

    # -- check, tolerance, choices

    def check(self, item: dict, param_names: list[str], line: int) -> Check | None:
        spec = self.mapping_of(item, "check", "{equals: EXPR} or {gradient_of: EXPR, wrt: NAME}", line)
        if spec is None:
            return None
        where = key_line(item, "check", line)
        errors_before = self.error_count()
        self.check_keys(spec, CHECK_KEYS, (), where)
        has_gradient = "gradient_of" in spec or "wrt" in spec
        if has_gradient and "equals" in spec:
            self.error(where, "check takes either gradient_of with wrt, or equals, not both")
        elif not has_gradient and "equals" not in spec:
            self.error(where, "check needs gradient_of with wrt, or equals")
        elif has_gradient:
            if "gradient_of" not in spec:
                self.error(where, "missing required key 'gradient_of' (the expression to differentiate)")
            if "wrt" not in spec:
                self.error(where, "missing required key 'wrt' (the parameter to differentiate by)")
        for key in ("gradient_of", "equals"):
            if key in spec:
                self.code(spec, key, "eval", where, label=f"check {key}")
        if "wrt" in spec:
            wrt = spec["wrt"]
            wrt_line = key_line(spec, "wrt", where)
            if not isinstance(wrt, str):
                self.error(wrt_line, f"wrt must be a parameter name, got {found(wrt)}")
            elif wrt not in param_names:
                known = ", ".join(param_names) if param_names else "none"
                self.error(wrt_line, f"wrt '{wrt}' is not a parameter of this question (those are: {known})")
        tolerances = {key: self.number(spec, key, where) for key in ("rtol", "atol") if key in spec}
        if self.error_count() > errors_before:
            return None
        return Check(
            gradient_of=spec.get("gradient_of"),
            wrt=spec.get("wrt"),
            equals=spec.get("equals"),
            line=where,
            **{k: v for k, v in tolerances.items() if v is not None},
        )

    def tolerance(self, item: dict, line: int) -> Tolerance | None:
        spec = self.mapping_of(item, "tolerance", "{rtol: 0.01, atol: 1.0e-6}", line)
        if spec is None:
            return None
        where = key_line(item, "tolerance", line)
        errors_before = self.error_count()
        self.check_keys(spec, TOLERANCE_KEYS, (), where)
        digits = [key for key in ("sigfig", "decdig") if key in spec]
        if digits:
            return self.digit_tolerance(spec, digits, where, errors_before)
        given = {key: self.number(spec, key, where) for key in ("rtol", "atol") if key in spec}
        if self.error_count() > errors_before:
            return None
        numbers = {key: value for key, value in given.items() if value is not None}  # number() reported any None
        tolerance = Tolerance(rtol=numbers.get("rtol", DEFAULT_RTOL), atol=numbers.get("atol", DEFAULT_ATOL))
        if not numbers or (tolerance.rtol == 0 and tolerance.atol == 0):
            self.error(
                where,
                "a tolerance of zero matches almost nothing: computed answers are rarely exact; "
                "give rtol and/or atol above zero",
            )
            return None
        return tolerance

    def digit_tolerance(self, spec: dict, digits: list[str], where: int, errors_before: int) -> Tolerance | None:
        """`{sigfig: 3}` or `{decdig: 2}`: a rule by digits, which stands alone."""
        others = [key for key in spec if key in TOLERANCE_KEYS and key != digits[0]]
        if others:
            self.error(where, f"tolerance {digits[0]} stands alone; remove {', '.join(others)}")
            return None
        count = self.whole_number(spec, digits[0], 1, MAX_DIGITS, where)
        if count is None or self.error_count() > errors_before:
            return None
        return Tolerance(**{digits[0]: count})

    def answer(self, item: dict, line: int) -> tuple[tuple[str, ...], bool] | None:
        """`answer: NAME` (the solution's name holding the key), `answer: {any_of: [NAME, NAME]}` (each an
        acceptable key) or `answer: {any_of: NAME}` (a name holding a list of acceptable keys)."""
        value = item["answer"]
        where = key_line(item, "answer", line)
        usage = "a name the solution assigns, or {any_of: [name, name]}"
        if isinstance(value, str):
            return ((value,), False) if self.answer_name(value, where) else None
        if not isinstance(value, dict):
            self.error(where, f"answer must be {usage}, got {found(value)}")
            return None
        self.check_keys(value, ("any_of",), ("any_of",), where)
        listed = value.get("any_of")
        if isinstance(listed, str):
            return ((listed,), True) if self.answer_name(listed, where) else None
        if not isinstance(listed, list) or not listed:
            if "any_of" in value:
                self.error(where, f"any_of must list the names of the acceptable keys, got {found(listed)}")
            return None
        names = [name for name in listed if self.answer_name(name, where)]
        if len(names) != len(listed):
            return None
        if len(set(names)) != len(names):
            self.error(where, "any_of names the same key twice")
            return None
        return tuple(names), True

    def answer_name(self, name: Any, where: int) -> bool:
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            self.error(where, f"answer must name a solution's variable such as y or dW1, got {found(name)}")
            return False
        return True

    def choices(self, item: dict, qtype: str | None, line: int) -> tuple[Choice, ...] | None:
        items = item["choices"]
        where = key_line(item, "choices", line)
        if not isinstance(items, list) or len(items) < 2:
            got = f"{len(items)}" if isinstance(items, list) else found(items)
            self.error(where, f"choices must be a list of at least two choices, got {got}")
            return None
        if len(items) > 26:
            self.error(where, f"choices are lettered a to z, so at most 26; got {len(items)}")
            return None
        errors_before = self.error_count()
        built: list[Choice] = []
        for index, choice in enumerate(items):
            choice_line = item_line(items, index, where)
            number = index + 1
            if not isinstance(choice, dict):
                self.error(choice_line, f"choice {number} must be a mapping, got {found(choice)}")
                continue
            self.check_keys(choice, CHOICE_KEYS, ("text",), choice_line)
            text = self.text(choice, "text", choice_line, required=True) if "text" in choice else None
            correct = self.flag(choice, "correct", choice_line) if "correct" in choice else False
            feedback: str | None = ""
            if "feedback" in choice:
                feedback = self.text(choice, "feedback", choice_line, required=False)
            if correct is False and not (feedback or "").strip():
                self.warning(choice_line, f"choice {number} has no feedback explaining why it is wrong")
            if text is not None and correct is not None and feedback is not None:
                letter = chr(ord("a") + index)
                built.append(Choice(id=letter, text=text, correct=correct, feedback=feedback))
        if self.error_count() > errors_before:
            return None
        right = sum(c.correct for c in built)
        if qtype == "single_choice" and right != 1:
            self.error(where, f"a single_choice question needs exactly one correct choice, got {right}")
            return None
        if qtype == "multiple_choice" and right == 0:
            self.error(where, "a multiple_choice question needs at least one correct choice")
            return None
        if qtype == "multiple_choice" and right == len(built):
            self.error(where, "a multiple_choice question needs at least one choice that is not correct")
            return None
        return tuple(built)




def _numbers_only(value: Any) -> bool:
    """A number, or a (nested) list of numbers: a constant parameter."""
    if isinstance(value, list):
        return bool(value) and all(_numbers_only(item) for item in value)
    return is_number(value)
