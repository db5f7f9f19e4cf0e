"""The few statements every request or answer sends, run straight on the driver's cursor.

`Connection.execute` pays, on every call: a cache key for the statement and a lookup of its compiled
form, an execution context, and result metadata, for which psycopg builds a `Column` object per
column of `cursor.description`. For the sign-in's read and an answer's write, that costs more worker
CPU than the round trips themselves (bench/load.py, docs/deploy.md). A `HotStatement` is compiled
once per dialect by SQLAlchemy, with SQLAlchemy's own bind and result processors, and then sent on
the DBAPI cursor of the connection it is given (the session's, or the request's own, below):

* the SQL is exactly what `Connection.execute` would send, so the database sees no difference;
* PostgreSQL's transactions begin as `postgres` decides for any statement (`postgres.prepare`);
  SQLite's writes queue as `sqlite` has them (the connection's cursor does it);
* a driver error is raised as SQLAlchemy's (an `IntegrityError` stays an `IntegrityError`), and a
  connection the error broke is invalidated, as `Connection.execute` would.

Only statements whose columns need no more than their types' processors belong here: plain columns
and expressions, no ORM entities.

A request whose database work is nothing but HotStatements (an answer's post) runs them on
`request_connection()`, a Core connection, instead of the ORM session's. Opening, committing and
closing an ORM session costs about four times the CPU of the connection under it (490,000 against
128,000 instructions under callgrind): 8 % of an answer's instructions (bench/instructions.py).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import g
from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.types import NullType

from . import postgres
from .extensions import db

_CURSOR = "hotpath_cursor"  # the DBAPI connection's reusable cursor, in its pool record's info
_REQUEST_CONNECTION = "hotpath_connection"  # the request's Core connection, in flask.g
_REQUIRED = object()


@dataclass
class _Compiled:
    sql: str
    positional: bool
    # (name in the compiled SQL, key in the caller's parameters, the value when absent, processor)
    binds: tuple[tuple[str, str, Any, Callable[[Any], Any] | None], ...]
    column_types: tuple[Any, ...]  # the dialect's types of the result columns
    options: Mapping[str, Any]
    on_postgresql: bool
    # The result columns' processors: they depend on the types the driver reports, so they are read
    # off the first execution's cursor.description, as SQLAlchemy reads them.
    results: tuple[Callable[[Any], Any] | None, ...] | None = None

    def parameters(self, params: Mapping[str, Any]) -> dict[str, Any] | tuple[Any, ...]:
        values = []
        for _name, key, default, process in self.binds:
            value = params.get(key, default)
            if value is _REQUIRED:
                raise KeyError(f"the statement needs a value for {key!r}")
            values.append(process(value) if process is not None else value)
        if self.positional:
            return tuple(values)
        return {name: value for (name, *_), value in zip(self.binds, values, strict=True)}

    def row(self, raw: Sequence[Any] | None, cursor: Any, dialect: Dialect) -> tuple[Any, ...] | None:
        if self.results is None:
            self.results = tuple(
                kind.result_processor(dialect, column[1])
                for kind, column in zip(self.column_types, cursor.description, strict=True)
            )
        if raw is None:
            return None
        return tuple(
            value if process is None else process(value) for process, value in zip(self.results, raw, strict=True)
        )


class HotStatement:
    """A statement run on the driver's cursor: `first(connection, params)` gives its first row, if it has columns."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement  # a Select, or an Insert/Update with RETURNING or without any columns
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _compile(self.statement, dialect)
        return found

    def first(self, connection: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row (the statement's columns, processed as SQLAlchemy would), or None."""
        compiled = self.compiled(connection.dialect)
        fairy = connection.connection
        dbapi_connection = fairy.dbapi_connection
        assert dbapi_connection is not None  # a checked-out connection has one
        parameters = compiled.parameters(params)
        cursor = fairy.info.get(_CURSOR)
        if cursor is None or getattr(cursor, "closed", False):
            cursor = fairy.info[_CURSOR] = dbapi_connection.cursor()
        try:
            if compiled.on_postgresql:
                postgres.prepare(dbapi_connection, compiled.sql, compiled.options)
            cursor.execute(compiled.sql, parameters)
            # All rows, so that SQLite finishes the statement (an unfinished read would hold its snapshot).
            rows = cursor.fetchall() if compiled.column_types else ()
        except connection.dialect.loaded_dbapi.Error as error:
            fairy.info.pop(_CURSOR, None)
            invalidated = connection.dialect.is_disconnect(error, dbapi_connection, cursor)
            if invalidated:
                connection.invalidate(error)
            raise exc.DBAPIError.instance(
                compiled.sql, parameters, error, connection.dialect.loaded_dbapi.Error,
                connection_invalidated=invalidated, dialect=connection.dialect,
            ) from error  # fmt: skip
        if not compiled.column_types:
            return None
        return compiled.row(rows[0] if rows else None, cursor, connection.dialect)

    def one(self, connection: Connection, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row of a statement that always gives exactly one."""
        row = self.first(connection, params)
        if row is None:
            raise exc.NoResultFound("the statement gave no row")
        return row


def _compile(statement: Any, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    by_name: dict[str, Any] = {}
    for bind, name in compiled.bind_names.items():  # one name may stand for several uses: keep a typed one
        if name not in by_name or isinstance(by_name[name].type, NullType):
            by_name[name] = bind
    names = list(compiled.positiontup) if compiled.positional else list(by_name)
    binds = []
    for name in names:
        bind = by_name[name]
        if bind.callable is not None or bind.expanding or bind.literal_execute:
            raise ValueError(
                f"{name}: a parameter SQLAlchemy renders at execution time (IN lists, callables) does not fit here"
            )
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        binds.append((name, bind.key, _REQUIRED if bind.required else bind.value, processor))
    return _Compiled(
        sql=compiled.string,
        positional=bool(compiled.positional),
        binds=tuple(binds),
        column_types=tuple(column.type.dialect_impl(dialect) for column in statement.exported_columns),
        options=statement.get_execution_options(),
        on_postgresql=dialect.name == "postgresql",
    )


# ---------------------------------------------------------------- the request's connection


def request_connection() -> Connection:
    """The request's Core connection for HotStatements, opened at the first call, in a transaction.

    `commit_request()` commits and closes it: the request's one commit, as `db.session.commit()` is
    for a request that uses the session. When the app context ends it is closed if still open, which
    rolls back what was not committed, so a request that fails leaves nothing behind. The session is
    not involved: a request that also needs ORM objects commits its session's work before it writes
    here (SQLite lets one connection write at a time)."""
    connection: Connection | None = g.get(_REQUEST_CONNECTION)
    if connection is None:
        connection = db.engine.connect()
        connection.begin()  # so that commit() commits the driver's transaction, which the statements begin
        setattr(g, _REQUEST_CONNECTION, connection)
    return connection


def commit_request() -> None:
    """Commit what the request wrote on `request_connection()` and give the connection back to the pool."""
    connection: Connection | None = g.pop(_REQUEST_CONNECTION, None)
    if connection is not None:
        try:
            connection.commit()
        finally:
            connection.close()


def close_request_connection(_error: BaseException | None = None) -> None:
    """Teardown: close the request's connection if a view left it open (rolling back its writes)."""
    connection: Connection | None = g.pop(_REQUEST_CONNECTION, None)
    if connection is not None:
        connection.close()
