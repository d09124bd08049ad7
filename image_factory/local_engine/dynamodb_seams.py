"""moto's DynamoDB with requests that cost what they touch, not the size of the table.

The runs table holds the records of every run, and every try for a builder slot is
a transaction and a query; with many runs queued for a slot, two of moto 5.2.5's
shortcuts made those tries grow with the table, so the whole benchmark grew with
the cube of the runs:

* `DynamoDBBackend.transact_write_items` deep-copies every table it names, to roll
  back if a condition fails. Here moto's own transaction runs on a stand-in of each
  table that holds copies of only the items it names; they are written back to the
  real table once it has committed (a cancelled one leaves the table as it was).
* `Table.query` sorts every item of the table to keep those of one partition. Here
  a query of the table itself (not of an index) runs on a stand-in that holds only
  that partition, so it returns the same items in the same order.

A stand-in is in place only while its request runs; the engine applies DynamoDB
requests one at a time (see `seams`), so no other request sees it.
"""

from __future__ import annotations

import copy
import inspect
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from image_factory.local_engine.seams import EngineIncompatible, replaced

ItemKey = tuple[DynamoType, DynamoType | None]


def verify() -> None:
    expected = {
        "DynamoDBBackend.transact_write_items": getattr(DynamoDBBackend, "transact_write_items", None),
        "Table.get_item": getattr(Table, "get_item", None),
    }
    missing = [name for name, found in expected.items() if not callable(found)]
    if not {"self", "hash_key", "index_name"} <= set(inspect.signature(Table.query).parameters):
        missing.append("Table.query(self, hash_key, ..., index_name)")
    if missing:
        raise EngineIncompatible(f"moto's DynamoDB lacks {', '.join(missing)}: re-check {__name__}")


def _operations(transact_items: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for entry in transact_items:
        for operation in entry.values():
            if isinstance(operation, Mapping):
                yield operation


def _keys_named(table: Table, transact_items: list[dict[str, Any]]) -> list[ItemKey]:
    """The items of `table` the transaction names (malformed ones are left to moto to reject)."""
    keys: list[ItemKey] = []
    for operation in _operations(transact_items):
        attributes = operation.get("Item") or operation.get("Key") or {}
        if operation.get("TableName") != table.name or table.hash_key_attr not in attributes:
            continue
        range_value = attributes.get(table.range_key_attr) if table.range_key_attr else None
        if table.range_key_attr and range_value is None:
            continue
        keys.append(
            (
                DynamoType(attributes[table.hash_key_attr]),
                DynamoType(range_value) if range_value is not None else None,
            )
        )
    return keys


def _stand_in(table: Table, keys: list[ItemKey]) -> Table:
    """A shallow copy of the table whose items are copies of the named ones only."""
    stand_in = copy.copy(table)
    items: Any = defaultdict(dict)  # moto's layout: {hash: item}, or {hash: {range: item}}
    for hash_key, range_key in keys:
        item = table.get_item(hash_key, range_key)
        if item is None:
            continue
        if range_key is None:
            items[hash_key] = copy.deepcopy(item)
        else:
            items[hash_key][range_key] = copy.deepcopy(item)
    stand_in.items = items
    return stand_in


def _write_back(table: Table, stand_in: Table, keys: list[ItemKey]) -> None:
    items: Any = table.items
    for hash_key, range_key in keys:
        item = stand_in.get_item(hash_key, range_key)
        if range_key is None:
            if item is None:
                items.pop(hash_key, None)
            else:
                items[hash_key] = item
        elif item is None:
            items.get(hash_key, {}).pop(range_key, None)
        else:
            items[hash_key][range_key] = item


def _touching_only_named_items(original: Callable[..., None]) -> Callable[..., None]:
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        named = {operation.get("TableName") for operation in _operations(transact_items)}
        real = {name: self.tables[name] for name in named if name in self.tables}
        keys = {name: _keys_named(table, transact_items) for name, table in real.items()}
        stand_ins = {name: _stand_in(table, keys[name]) for name, table in real.items()}
        self.tables.update(stand_ins)
        committed = False
        try:
            original(self, transact_items)
            committed = True
        finally:
            for name, table in real.items():
                if committed:
                    _write_back(table, stand_ins[name], keys[name])
                self.tables[name] = table

    return transact_write_items


def _reading_only_its_partition(original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    def query(*args: Any, **kwargs: Any) -> Any:
        call = signature.bind(*args, **kwargs)
        table, hash_key = call.arguments["self"], call.arguments["hash_key"]
        if call.arguments.get("index_name") or not table.range_key_attr:
            return original(*args, **kwargs)
        stand_in = copy.copy(table)
        partition = table.items.get(hash_key)
        stand_in.items = {} if partition is None else {hash_key: partition}
        call.arguments["self"] = stand_in
        return original(*call.args, **call.kwargs)

    return query


@contextmanager
def requests_sized_to_what_they_touch() -> Iterator[None]:
    verify()
    with ExitStack() as stack:
        stack.enter_context(
            replaced(
                DynamoDBBackend,
                "transact_write_items",
                _touching_only_named_items(DynamoDBBackend.transact_write_items),
            )
        )
        stack.enter_context(replaced(Table, "query", _reading_only_its_partition(Table.query)))
        yield
