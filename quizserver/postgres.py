"""PostgreSQL for many workers: fewer round trips per request, with the same guarantees.

Each statement sent to PostgreSQL is a round trip: the worker and the server each pay for it in CPU,
and on one machine at a deadline they pay from the same cores. psycopg sends its own BEGIN before a
transaction's first statement, and a pool that pings sends a SELECT 1 at every checkout, so a request
that reads three rows cost five. Two changes remove those without changing what a request can see:

* **A transaction begins at the first write.** While no transaction is open the connection is in
  autocommit mode, so a plain read runs by itself. Under READ COMMITTED (PostgreSQL's default, and the
  app's) every statement of a transaction takes a fresh snapshot anyway, so a read sees what it would
  have seen inside one. The first statement that is anything else (INSERT, UPDATE, DELETE, DDL, a
  SELECT that locks rows or streams through a server-side cursor) opens the transaction, and every
  statement after it runs in that transaction until commit or rollback: the writes of a request are
  as atomic as before. Python's sqlite3 module begins SQLite's transactions the same way. (A SELECT
  whose effect must last until commit, such as `pg_advisory_xact_lock`, would be taken for a read: the
  app sends none.)
* **No ping: a look at the socket instead.** An idle connection has nothing to read unless the server
  closed it (a restart, `pg_terminate_backend`, an idle timeout) or said something unasked. Either
  way it is replaced at checkout, before a request uses it, at no cost to the healthy ones.
"""
from __future__ import annotations

import re
import select
from functools import lru_cache
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError

_LOCKING = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.IGNORECASE)


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def needs_transaction(statement: str, options: Any) -> bool:
    """True for a statement that must run inside a transaction: anything but a plain, unlocking read."""
    if options.get("stream_results") or options.get("yield_per"):  # a server-side cursor lives in a transaction
        return True
    return not _plain_read(statement)


@lru_cache(maxsize=1024)
def _plain_read(statement: str) -> bool:
    """A SELECT that locks nothing. Cached: the app sends the same few statements over and over, and
    searching a long one for FOR UPDATE costs more than a lookup."""
    return statement.lstrip()[:6].upper() == "SELECT" and _LOCKING.search(statement) is None


def install(engine: Engine) -> None:
    """Begin transactions at the first write and check connections without a ping (see the module's doc)."""
    event.listen(engine, "connect", _autocommit_while_idle)
    event.listen(engine, "checkout", _replace_if_closed)
    event.listen(engine, "before_cursor_execute", _begin_at_first_write)


def _autocommit_while_idle(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.autocommit = True


def _replace_if_closed(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
    """Raising DisconnectionError makes the pool discard this connection and check out another."""
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the connection is closed")
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError) as exc:
        raise DisconnectionError(f"the connection's socket is unusable: {exc}") from exc
    if readable:
        raise DisconnectionError("the server closed the idle connection (or sent it something unasked)")


def _begin_at_first_write(
    connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """Before a statement is sent: autocommit for one that needs no transaction, else let psycopg begin one."""
    dbapi_connection = cursor.connection
    if dbapi_connection.info.transaction_status != TransactionStatus.IDLE:  # the statement joins the open transaction
        return
    autocommit = not needs_transaction(statement, context.execution_options if context is not None else {})
    if dbapi_connection.autocommit != autocommit:
        dbapi_connection.autocommit = autocommit
