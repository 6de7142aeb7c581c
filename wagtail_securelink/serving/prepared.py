"""Queries of the download path, compiled to SQL once per database connection.

Django compiles a queryset to SQL each time it is evaluated. For the two look-ups that
every verified download makes (the link by its key, the grant by its id), compiling
cost several times what the database took to answer. A ``PreparedQuery`` turns its
queryset, built once per connection with stand-in values, into a ``values_list()`` of
every column it selects: the model's, those of its ``select_related`` models (one level)
and its annotations. It keeps that SQL and, on each call,
binds the real values to it, converts each column as the ORM does (the backend's and the
field's converters) and builds the instances with ``Model.from_db``, the related ones
attached through their descriptors. Same SQL, same rows, same objects; no compilation,
and only public API of the ORM.

Each stand-in must appear exactly once among the SQL's parameters, and every other
parameter must be a constant of the queryset (checked when compiling, by building it
again from other stand-ins), so a value can never land in the wrong place of the SQL.
"""

import threading
import weakref

from django.db import connections, router

__all__ = ["PreparedQuery"]


def _other(value):
    """Another stand-in of the same type, to tell the parameters that follow the
    stand-ins from the queryset's constants."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"stand-ins are str or int, not {type(value).__name__}")
    return value + "~" if isinstance(value, str) else value - 7919


def _fields(model):
    return list(model._meta.concrete_fields)


def _related(queryset):
    """``(name, model)`` of each model the queryset's ``select_related`` names."""
    names = queryset.query.select_related
    if not names:
        return []
    if names is True or any(names[name] for name in names):
        raise ValueError("select_related must name one level of foreign keys")
    model = queryset.model
    return [(name, model._meta.get_field(name).related_model) for name in names]


def _converters(expression, connection):
    return connection.ops.get_db_converters(expression) + expression.get_db_converters(
        connection
    )


def _values(queryset, related):
    """The queryset as ``values_list()`` of every column the instances need, and, for
    each column, the expression whose converters its value goes through."""
    model = queryset.model
    names, expressions = [], []
    for field in _fields(model):
        names.append(field.attname)
        expressions.append(field.get_col(model._meta.db_table))
    for name, related_model in related:
        for field in _fields(related_model):
            names.append(f"{name}__{field.attname}")
            expressions.append(field.get_col(related_model._meta.db_table))
    annotations = dict(queryset.query.annotation_select)
    names.extend(annotations)
    expressions.extend(annotations.values())
    return queryset.values_list(*names), expressions


def _sql(queryset, alias):
    sql, params = queryset.query.get_compiler(using=alias).as_sql()
    return sql, list(params)


class _Compiled:
    __slots__ = (
        "sql",
        "params",
        "slots",
        "layout",
        "related_pks",
        "converters",
        "annotations",
    )

    def __init__(self, queryset, stand_ins, alias, *, check):
        related = _related(queryset)
        values, expressions = _values(queryset, related)
        sql, params = _sql(values, alias)
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
        other_sql, other_params = _sql(_values(check, _related(check))[0], alias)
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
        connection = connections[alias]
        # Where each model's columns are in the row: (name, model, attnames, start).
        model = queryset.model
        layout = [(None, model, [f.attname for f in _fields(model)], 0)]
        start = len(layout[0][2])
        for name, related_model in related:
            attnames = [f.attname for f in _fields(related_model)]
            layout.append((name, related_model, attnames, start))
            start += len(attnames)
        # Where each related model's primary key is among its columns (NULL: no row).
        self.related_pks = [
            attnames.index(related_model._meta.pk.attname)
            for _name, related_model, attnames, _start in layout[1:]
        ]
        self.annotations = [
            (name, start + i) for i, name in enumerate(queryset.query.annotation_select)
        ]
        self.converters = [
            (position, expression, converters)
            for position, expression in enumerate(expressions)
            if (converters := _converters(expression, connection))
        ]
        self.sql, self.params, self.slots, self.layout = sql, params, slots, layout


class PreparedQuery:
    """``build(*values)`` returns a queryset of ``model``; ``first(*values)`` runs it.

    The queryset may ``select_related`` foreign keys of ``model`` (one level) and
    ``annotate``. ``stand_ins`` are values of the right types used only to compile;
    each must occur exactly once among the compiled SQL's parameters
    (e.g. ``filter(pk=...)``).
    """

    def __init__(self, model, build, *stand_ins):
        self.model = model
        self._build = build
        self._stand_ins = stand_ins
        self._lock = threading.Lock()
        # One compilation per connection object: each thread (and each async context)
        # has its own, and the converters belong to that connection.
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
            row = cursor.fetchone()
        if row is None:
            return None
        row = list(row)
        for position, expression, converters in compiled.converters:
            value = row[position]
            for converter in converters:
                value = converter(value, expression, connection)
            row[position] = value
        (_, model, attnames, start), *related = compiled.layout
        obj = model.from_db(alias, attnames, row[start : start + len(attnames)])
        for (name, related_model, attnames, start), pk_at in zip(
            related, compiled.related_pks, strict=True
        ):
            values = row[start : start + len(attnames)]
            pk = values[pk_at]
            setattr(
                obj,
                name,
                None if pk is None else related_model.from_db(alias, attnames, values),
            )
        for name, position in compiled.annotations:
            setattr(obj, name, row[position])
        return obj
