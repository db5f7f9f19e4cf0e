"""A step count for Python regular expressions: the same backtracking search as `re`, one step per try.

`re` reports no work done, and timing it in a test is flaky, so the patterns are re-run here on their
parsed form (`re._parser`), counting every character test and every backtracking alternative. The
result is checked against `re` on every call, so the count is of the search `re` really does.
A step budget stops a runaway (super-linear) search early instead of letting it run for minutes.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from re import _constants as sre
from re import _parser as sre_parse
from typing import Any

_SINGLE = {sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN}


class BudgetExceeded(AssertionError):
    pass


class StepCounter:
    """Steps spent by every counted pattern since it was made; raises once `budget` is passed."""

    def __init__(self, budget: int | None = None) -> None:
        self.steps = 0
        self.parsed_characters = 0  # text handed to ast.parse
        self.budget = budget

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.budget is not None and self.steps > self.budget:
            raise BudgetExceeded(f"more than {self.budget} regex steps")

    @property
    def cost(self) -> int:
        return self.steps + self.parsed_characters


_ASCII_CLASSES = {
    sre.CATEGORY_DIGIT: lambda c: "0" <= c <= "9",
    sre.CATEGORY_SPACE: lambda c: c in " \t\n\r\f\v",
    sre.CATEGORY_WORD: lambda c: c.isascii() and (c.isalnum() or c == "_"),
}
_UNICODE_CLASSES = {
    sre.CATEGORY_DIGIT: str.isdecimal,
    sre.CATEGORY_SPACE: str.isspace,
    sre.CATEGORY_WORD: lambda c: c.isalnum() or c == "_",
}
_NEGATED = {
    sre.CATEGORY_NOT_DIGIT: sre.CATEGORY_DIGIT,
    sre.CATEGORY_NOT_SPACE: sre.CATEGORY_SPACE,
    sre.CATEGORY_NOT_WORD: sre.CATEGORY_WORD,
}


def _category(category: Any, char: str, ascii_only: bool) -> bool:
    classes = _ASCII_CLASSES if ascii_only else _UNICODE_CLASSES
    if category in _NEGATED:
        return not classes[_NEGATED[category]](char)
    return classes[category](char)


class _Matcher:
    def __init__(self, pattern: re.Pattern[str], counter: StepCounter) -> None:
        self.items = list(sre_parse.parse(pattern.pattern, pattern.flags))
        self.ascii = bool(pattern.flags & re.ASCII)
        self.counter = counter
        self.text = ""

    def _char(self, op: Any, av: Any, char: str) -> bool:
        if op is sre.LITERAL:
            return ord(char) == av
        if op is sre.NOT_LITERAL:
            return ord(char) != av
        if op is sre.ANY:
            return char != "\n"
        negate, found = False, False
        for kind, value in av:
            if kind is sre.NEGATE:
                negate = True
            elif kind is sre.LITERAL:
                found = found or ord(char) == value
            elif kind is sre.RANGE:
                found = found or value[0] <= ord(char) <= value[1]
            elif kind is sre.CATEGORY:
                found = found or _category(value, char, self.ascii)
            else:
                raise NotImplementedError(kind)
        return found != negate

    def _sequence(self, items: list[Any], index: int, pos: int) -> Iterator[int]:
        if index == len(items):
            yield pos
            return
        op, av = items[index]
        for end in self._node(op, av, pos):
            yield from self._sequence(items, index + 1, end)

    def _node(self, op: Any, av: Any, pos: int) -> Iterator[int]:
        text, step = self.text, self.counter.step
        step()
        if op in _SINGLE:
            if pos < len(text) and self._char(op, av, text[pos]):
                yield pos + 1
        elif op is sre.AT:
            at_end = pos == len(text) or (av is sre.AT_END and pos == len(text) - 1 and text[pos] == "\n")
            if {sre.AT_BEGINNING: pos == 0, sre.AT_BEGINNING_STRING: pos == 0,
                sre.AT_END: at_end, sre.AT_END_STRING: pos == len(text)}[av]:  # fmt: skip
                yield pos
        elif op is sre.SUBPATTERN:
            yield from self._sequence(list(av[3]), 0, pos)
        elif op is sre.BRANCH:
            for alternative in av[1]:
                yield from self._sequence(list(alternative), 0, pos)
        elif op is sre.ATOMIC_GROUP:
            first = next(self._sequence(list(av), 0, pos), None)
            if first is not None:
                yield first
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            if av[0] != 1:
                raise NotImplementedError("lookbehind")
            found = next(self._sequence(list(av[1]), 0, pos), None) is not None
            if found == (op is sre.ASSERT):
                yield pos
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, sub = av
            ends = self._repeat(list(sub), low, high, pos, lazy=op is sre.MIN_REPEAT)
            if op is sre.POSSESSIVE_REPEAT:
                first = next(ends, None)
                if first is not None:
                    yield first
            else:
                yield from ends
        else:
            raise NotImplementedError(op)

    def _repeat(self, sub: list[Any], low: int, high: int, pos: int, lazy: bool) -> Iterator[int]:
        text, step = self.text, self.counter.step
        if len(sub) == 1 and sub[0][0] in _SINGLE:
            # One character at a time, as re does it: run as far as possible, then give back one by one.
            op, av = sub[0]
            count = 0
            while count < high and pos + count < len(text):
                step()
                if not self._char(op, av, text[pos + count]):
                    break
                count += 1
            counts = range(low, count + 1) if lazy else range(count, low - 1, -1)
            for taken in counts:
                step()
                yield pos + taken
            return
        yield from self._repeat_group(sub, low, high, pos, 0, lazy)

    def _repeat_group(self, sub: list[Any], low: int, high: int, pos: int, done: int, lazy: bool) -> Iterator[int]:
        self.counter.step()
        if lazy and done >= low:
            yield pos
        if done < high:
            for end in self._sequence(sub, 0, pos):
                if end == pos and done >= low:
                    continue  # an empty repetition would loop for ever
                yield from self._repeat_group(sub, low, high, end, done + 1, lazy)
        if not lazy and done >= low:
            yield pos

    def match_at(self, text: str, pos: int, full: bool) -> int | None:
        self.text = text
        for end in self._sequence(self.items, 0, pos):
            if not full or end == len(text):
                return end
        return None

    def search(self, text: str, pos: int) -> tuple[int, int] | None:
        for start in range(pos, len(text) + 1):
            end = self.match_at(text, start, full=False)
            if end is not None:
                return start, end
        return None


class CountedPattern:
    """A compiled pattern whose calls are counted in steps and checked against `re`."""

    def __init__(self, pattern: re.Pattern[str], counter: StepCounter) -> None:
        self.pattern = pattern
        self._matcher = _Matcher(pattern, counter)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        real = self.pattern.fullmatch(text)
        end = self._matcher.match_at(text, 0, full=True)
        assert (end is None) == (real is None), (self.pattern.pattern, text)
        return real

    def match(self, text: str) -> re.Match[str] | None:
        real = self.pattern.match(text)
        end = self._matcher.match_at(text, 0, full=False)
        assert (None if real is None else real.end()) == end, (self.pattern.pattern, text)
        return real

    def search(self, text: str) -> re.Match[str] | None:
        real = self.pattern.search(text)
        found = self._matcher.search(text, 0)
        assert (None if real is None else real.span()) == found, (self.pattern.pattern, text)
        return real

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        pos = 0
        for real in self.pattern.finditer(text):
            found = self._matcher.search(text, pos)
            assert found == real.span(), (self.pattern.pattern, text)
            pos = found[1] if found[1] > found[0] else found[1] + 1
            yield real
        assert pos > len(text) or self._matcher.search(text, pos) is None, (self.pattern.pattern, text)


@contextmanager
def counted_patterns(modules: list[Any], counter: StepCounter, factories: dict[Any, list[str]]) -> Iterator[None]:
    """Replace every compiled pattern in `modules`, and what each named factory returns, by counted ones.

    ast.parse is counted too, by the characters it is given.
    """
    saved: list[tuple[Any, str, Any]] = []
    for module in modules:
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                saved.append((module, name, value))
                setattr(module, name, CountedPattern(value, counter))
    made: dict[tuple[Any, ...], CountedPattern] = {}
    for module, names in factories.items():
        for name in names:
            factory = getattr(module, name)
            saved.append((module, name, factory))

            def counted_factory(*args: Any, _factory: Any = factory) -> CountedPattern:
                key = (_factory, *args)
                if key not in made:
                    made[key] = CountedPattern(_factory(*args), counter)
                return made[key]

            setattr(module, name, counted_factory)
    real_parse = ast.parse

    def counted_parse(source: str, *args: Any, **kwargs: Any) -> Any:
        counter.parsed_characters += len(source)
        return real_parse(source, *args, **kwargs)

    ast.parse = counted_parse
    try:
        yield
    finally:
        ast.parse = real_parse
        for module, name, value in reversed(saved):
            setattr(module, name, value)
