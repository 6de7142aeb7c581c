"""Queries of the download path, compiled to SQL once per database connection.

Django compiles a queryset to SQL each time it is evaluated. For the two look-ups that
every verified download makes (the link by its key, the grant by its id), compiling
cost several times what the database took to answer. A ``PreparedQuery`` builds its
queryset once per connection with stand-in values, keeps the SQL and the compiler, and
on each call binds the real values to that SQL and builds the instances as the ORM
does: ``Model.from_db`` with the compiler's converters, the ``select_related`` models
attached, the annotations set. Same SQL, same rows, same objects; no compilation.

Each stand-in must appear exactly once among the SQL's parameters, and every other
parameter must be a constant of the queryset (checked when compiling, by building it
again from other stand-ins), so a value can never land in the wrong place of the SQL.
"""

import threading
import weakref

from django.db import connections, router
from django.db.models.query import get_related_populators

__all__ = ["PreparedQuery"]


def _other(value):
    """Another stand-in of the same type, to tell the parameters that follow the
    stand-ins from the queryset's constants."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"stand-ins are str or int, not {type(value).__name__}")
    return value + "~" if isinstance(value, str) else value - 7919


class _Compiled:
    __slots__ = (
        "sql",
        "params",
        "slots",
        "compiler",
        "converters",
        "init_list",
        "bounds",
        "related",
        "fetch_mode",
    )

    def __init__(self, queryset, stand_ins, alias, *, check):
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = []
        for value in stand_ins:
            found = [
                i for i, p in enumerate(params) if type(p) is type(value) and p == value
            ]
            if len(found) != 1:
                raise ValueError(
                    f"stand-in {value!r} appears {len(found)} times in the SQL parameters"
                )
            slots.append(found[0])
        # The same queryset built from other stand-ins: a parameter that changed with
        # them and is not a stand-in itself was derived from a value (``key.lower()``)
        # and would be frozen by binding; the ones that did not change are constants of
        # the queryset (``role="view"``, the ``1`` of an ``Exists``) and stay as they are.
        other_sql, other_params = check.query.get_compiler(using=alias).as_sql()
        changed = {
            i
            for i, (a, b) in enumerate(zip(params, other_params, strict=False))
            if type(a) is not type(b) or a != b
        }
        if (
            other_sql != sql
            or len(other_params) != len(params)
            or changed != set(slots)
        ):
            raise ValueError("the queryset has parameters other than the stand-ins")
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        self.bounds = (fields[0], fields[-1] + 1)
        self.init_list = [
            column[0].target.attname
            for column in select[self.bounds[0] : self.bounds[1]]
        ]
        # Django 6.1 gives querysets a fetch mode, passed to the populators and from_db.
        self.fetch_mode = getattr(queryset, "_fetch_mode", None)
        if self.fetch_mode is None:
            self.related = get_related_populators(klass_info, select, alias)
        else:
            self.related = get_related_populators(
                klass_info, select, alias, self.fetch_mode
            )
        self.converters = compiler.get_converters(
            [column[0] for column in select[: compiler.col_count]]
        )
        self.sql, self.params, self.slots, self.compiler = sql, params, slots, compiler


class PreparedQuery:
    """``build(*values)`` returns a queryset of ``model``; ``first(*values)`` runs it.

    ``stand_ins`` are values of the right types used only to compile; each must occur
    exactly once among the compiled SQL's parameters (e.g. ``filter(pk=...)``).
    """

    def __init__(self, model, build, *stand_ins):
        self.model = model
        self._build = build
        self._stand_ins = stand_ins
        self._lock = threading.Lock()
        # One compilation per connection object: each thread (and each async context)
        # has its own, and the compiler's converters belong to that connection.
        self._compiled = weakref.WeakKeyDictionary()

    def _for(self, connection, alias) -> _Compiled:
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = _Compiled(
                self._build(*self._stand_ins),
                self._stand_ins,
                alias,
                check=self._build(*map(_other, self._stand_ins)),
            )
            with self._lock:
                self._compiled[connection] = compiled
        return compiled

    def first(self, *values):
        """The first row as a model instance (with its related objects), or ``None``."""
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        compiled = self._for(connection, alias)
        params = list(compiled.params)
        for slot, value in zip(compiled.slots, values, strict=True):
            params[slot] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchmany(1)
        if not rows:
            return None
        compiler = compiled.compiler
        if compiled.converters:
            rows = compiler.apply_converters(rows, compiled.converters)
        (row,) = rows
        start, end = compiled.bounds
        if compiled.fetch_mode is None:
            obj = self.model.from_db(alias, compiled.init_list, row[start:end])
        else:
            obj = self.model.from_db(
                alias,
                compiled.init_list,
                row[start:end],
                fetch_mode=compiled.fetch_mode,
            )
            if compiled.fetch_mode.track_peers:
                obj._state.peers = [weakref.ref(obj)]
        for populator in compiled.related:
            populator.populate(row, obj)
        for name, position in compiler.annotation_col_map.items():
            setattr(obj, name, row[position])
        return obj
