"""A DynamoDB expression is parsed once per text, not at every request.

moto 5.2.5 parses a request's expressions up to twice per item write (the response class checks
the names and values they use, the backend parses again to apply them): an UpdateExpression with
its tokenizer and parser, a ConditionExpression with its lexer. A Distributed Map over 10,000
objects sends the same few expressions 20,000 times. Here each parse is kept:

* an UpdateExpression's syntax tree, by its text. Nothing changes that tree: the validator
  works on its own deep copy (and replaces names, values and item paths there), the response
  class only reads which names and values it uses; what it finds there (`find_clauses` on the
  kept tree) is kept with the tree.
* a ConditionExpression's operation, by its text with the names and values it was given (they
  are substituted into it), with the names and values it found. The operations only read the
  item they are evaluated on.

A parse that fails is not kept: the same request fails again with the same error.

The validator then walks its copy of an UpdateExpression tree once per check (ten of them), and
each check rebuilt its table of node types and handlers for every node it met; a check's table
never changes (its keys are classes, its values its own methods), so it is built once per check.
Whether a child is a node, and which handler takes it, depends on its class only: the walk asks
once per class, not per node (the node classes use ABCMeta, whose isinstance is slow), and visits
the same nodes in the same order with the same handlers. The validator's copy of the tree is made
node by node (what deepcopy makes of it, without `__reduce_ex__`), its clause-count check counts
each subtree once per walk instead of three times per node above it, and its overlapping-paths check
is not run at a node with no action below it (it would find no path there to refuse).

Most checks handle node classes a given expression doesn't hold (an ADD has no SET action, no
function, no operation on values): their walk visits every node and calls nothing. So the validator
keeps the classes the tree may hold (those of its copy, plus those of every node a check puts in
place of another), and a check that handles none of them and does no work between children is not
walked: its walk would have returned the tree as it was. A check that hands back the node it was
given has only read it (none of moto's changes a node in place).
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any, Final

MAX_ENTRIES: Final[int] = 1024
"""Expressions kept per kind; past it the cache starts over (a workload repeats a few texts)."""

_installed = False
_lock = threading.Lock()
_update_trees: dict[str, Any] = {}
_conditions: dict[tuple[str, str, str], tuple[Any, list[str], list[str]]] = {}
_tree_clauses: dict[int, tuple[Any, dict[tuple[type, ...], list[Any]]]] = {}
"""By kept tree id: (the tree, what `find_clauses` found in it by clause types). The tree held: its id stays its."""
moto_traversal: Any = None
"""moto's own `DepthFirstTraverser.traverse_node_recursively` (what the tests compare the replacement with)."""
moto_verify_action_counts: Any = None
"""moto's own `ActionCountValidator.verify_action_counts` (idem)."""
moto_validate: Any = None
"""moto's own `Validator.validate` (idem)."""
moto_find_clauses: Any = None
"""moto's own `Node.find_clauses` (idem)."""
moto_overlapping_paths_check: Any = None
"""moto's own `OverlappingPathsValidator.check_for_overlapping_paths` (idem)."""
_PRESENT: Final[str] = "_sandbox_present"
"""Where a check being walked finds the set of node classes the tree may hold (to add those it puts in place)."""


def _keep(cache: dict[Any, Any], key: Any, value: Any) -> None:
    with _lock:
        if len(cache) >= MAX_ENTRIES:
            cache.clear()
        cache[key] = value


def _condition_key(parser: Any) -> tuple[str, str, str]:
    # repr tells JSON-like values apart as exactly as JSON would, at a fraction of the cost;
    # the same mapping written in another key order is only a second entry.
    return (parser.condition_expression, repr(parser.expression_attribute_names),
            repr(parser.expression_attribute_values))


def _handlers(traverser: Any) -> dict[type, Any]:
    kept = traverser.__dict__.get("_sandbox_handlers")
    if kept is None:
        kept = traverser.__dict__["_sandbox_handlers"] = traverser._processing_map()
    return kept


def _node_types(traverser: Any) -> tuple[type, ...]:
    kept = traverser.__dict__.get("_sandbox_node_types")
    if kept is None:
        kept = traverser.__dict__["_sandbox_node_types"] = tuple(_handlers(traverser))
    return kept


_NOT_A_NODE: Final[object] = object()
_UNKNOWN: Final[object] = object()
_handled_as: dict[tuple[type, ...], dict[type, Any]] = {}
"""Per table of handled node types: which of them (the first in order) a class is handled as, None for a node class
handled as none of them, `_NOT_A_NODE` for a class that is no node."""


def _handled_type(by_class: dict[type, Any], node_types: tuple[type, ...], node_class: type, kind: type) -> Any:
    handled = by_class.get(kind)
    if handled is None and kind not in by_class:
        handled = (next((node_type for node_type in node_types if issubclass(kind, node_type)), None)
                   if issubclass(kind, node_class) else _NOT_A_NODE)
        by_class[kind] = handled
    return handled


def _traverser(node_class: type, base_pre_processing: Any) -> Any:
    """`DepthFirstTraverser.traverse_node_recursively`, deciding per node class (not per node, through ABCMeta's
    isinstance) whether it is a node and which handler takes it: the same walk, the same handlers, in the same order."""

    def traverse_node_recursively(self: Any, node: Any, child_id: int = -1) -> Any:
        node_types = _node_types(self)
        by_class = _handled_as.get(node_types)
        if by_class is None:
            by_class = _handled_as.setdefault(node_types, {})
        handlers = _handlers(self)
        pre_processing = (None if type(self).pre_processing_of_child is base_pre_processing
                          else self.pre_processing_of_child)
        present = self.__dict__.get(_PRESENT)

        def walk(node: Any, child_id: int) -> Any:
            handled = by_class.get(type(node), _UNKNOWN)
            if handled is _UNKNOWN:
                handled = _handled_type(by_class, node_types, node_class, type(node))
            if handled is _NOT_A_NODE:
                return node
            parent_node = node.parent
            if node.children is not None:
                for index, child_node in enumerate(node.children):
                    if pre_processing is not None:
                        pre_processing(node, index)
                    if by_class.get(type(child_node)) is not _NOT_A_NODE:  # (a text leaf: nothing to walk)
                        walk(child_node, index)
            if handled is not None:
                replaced = handlers[handled](node)
                if present is not None and replaced is not node:
                    _add_classes(replaced, node_class, present)
                node = replaced
                node.parent = parent_node
                if parent_node:
                    parent_node.children[child_id] = node
            return node

        return walk(node, child_id)

    return traverse_node_recursively


_is_node_class: dict[type, bool] = {}


def _add_classes(node: Any, node_class: type, into: set[type]) -> None:
    """The classes of `node` and of the nodes below it, as the walk meets them (a child that is no node ends it)."""
    pending = [node]
    while pending:
        current = pending.pop()
        kind = type(current)
        is_node = _is_node_class.get(kind)
        if is_node is None:
            is_node = _is_node_class[kind] = issubclass(kind, node_class)
        if is_node:
            into.add(kind)
            if current.children is not None:
                pending.extend(current.children)


def _validator(node_class: type, base_pre_processing: Any, base_traverse: Any, our_traversal: Any) -> Any:
    """`Validator.validate` that skips the checks whose walk would call nothing (see the module's note)."""

    def walks(processor: Any, present: set[type]) -> bool:
        kind = type(processor)
        if (kind.pre_processing_of_child is not base_pre_processing or kind.traverse is not base_traverse
                or kind.traverse_node_recursively is not our_traversal):
            return True
        node_types = _node_types(processor)
        by_class = _handled_as.get(node_types)
        if by_class is None:
            by_class = _handled_as.setdefault(node_types, {})
        for present_class in present:
            handled = by_class.get(present_class, _UNKNOWN)
            if handled is _UNKNOWN:
                handled = _handled_type(by_class, node_types, node_class, present_class)
            if handled is not None:
                return True
        return False

    def validate(self: Any) -> Any:
        tree = self.node_to_validate
        present: set[type] = set()
        _add_classes(tree, node_class, present)
        for processor in self.processors:
            if walks(processor, present):
                processor.__dict__[_PRESENT] = present
                tree = processor.traverse(tree)
        return tree

    return validate


_IMMUTABLE: Final[tuple[type, ...]] = (str, int, float, bool, type(None))
_NODE_FIELDS: Final[frozenset[str]] = frozenset({"type", "children", "parent"})


class _NotPlain(Exception):
    """A tree `tree_copy` leaves to copy.deepcopy."""


def tree_copy(value: Any) -> Any:
    """copy.deepcopy of an expression tree, node by node instead of through `__reduce_ex__`.

    The copy is what deepcopy makes of a tree whose nodes hold only their type name, children and
    parent: new nodes in the same places, each child's parent the new node, a node met twice copied
    once, immutable leaves shared and other leaves deep-copied. Anything else (a node with more
    fields, a subtree that has a parent outside it, a value that is no node) goes to copy.deepcopy.
    """
    node_class = _node_class()
    if not isinstance(value, node_class) or value.parent is not None:
        return copy.deepcopy(value)
    memo: dict[int, Any] = {}
    try:
        return _copy_node(value, None, node_class, memo)
    except _NotPlain:
        return copy.deepcopy(value)


def _copy_node(node: Any, parent: Any, node_class: Any, memo: dict[int, Any]) -> Any:
    kept = memo.get(id(node))
    if kept is not None:
        return kept
    fields = node.__dict__
    if not fields.keys() <= _NODE_FIELDS:
        raise _NotPlain
    copied: Any = object.__new__(type(node))
    memo[id(node)] = copied
    copied.__dict__.update(fields)
    copied.parent = parent
    children = fields.get("children")
    if children is not None:
        copied.children = [
            _copy_node(child, copied, node_class, memo) if isinstance(child, node_class)
            else child if type(child) in _IMMUTABLE else copy.deepcopy(child, memo)
            for child in children
        ]
    return copied


@functools.cache
def _node_class() -> Any:
    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    return Node


def _clause_counts(node: Any, kinds: tuple[type, ...], descended: tuple[type, ...],
                   memo: dict[int, tuple[int, ...]]) -> tuple[int, ...]:
    """What `node.find_clauses([kind])` finds, counted, for each of the kinds at once.

    find_clauses takes a child of the kind asked (by exact type) and does not look inside it, and
    looks inside any other child that is an Expression or an UpdateExpressionFunction. Counted per
    node once (a walk meets the subtrees of every node it checks again).
    """
    kept = memo.get(id(node))
    if kept is not None:
        return kept
    counts = [0] * len(kinds)
    nothing = (0,) * len(kinds)
    for child in node.children or ():
        below = _clause_counts(child, kinds, descended, memo) if isinstance(child, descended) else nothing
        for index, kind in enumerate(kinds):
            counts[index] += 1 if type(child) is kind else below[index]
    memo[id(node)] = kept = tuple(counts)
    return kept


def _overlapping_paths_check(check: Any, actions: tuple[type, ...], descended: tuple[type, ...]) -> Any:
    """`OverlappingPathsValidator.check_for_overlapping_paths`, not run at a node with no action below it (none
    of the four kinds, as find_clauses looks for them): there it finds no path, so nothing to refuse."""

    def check_for_overlapping_paths(self: Any, node: Any) -> Any:
        memo = self.__dict__.setdefault("_sandbox_action_counts", {})
        if not any(_clause_counts(node, actions, descended, memo)):
            return node
        return check(self, node)

    return check_for_overlapping_paths


def _verify_action_counts(too_many: Any, kinds: tuple[type, type, type], descended: tuple[type, ...]) -> Any:
    """`ActionCountValidator.verify_action_counts`, each subtree counted once per walk: the same checks,
    in the same order (ADD, REMOVE, SET), at the same node."""

    def verify_action_counts(self: Any, node: Any) -> Any:
        memo = self.__dict__.setdefault("_sandbox_clause_counts", {})
        for count, name in zip(_clause_counts(node, kinds, descended, memo), ("ADD", "REMOVE", "SET"), strict=True):
            if count > 1:
                raise too_many(name)
        return node

    return verify_action_counts


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
        DepthFirstTraverser,
        Expression,
        Node,
        UpdateExpressionAddClause,
        UpdateExpressionFunction,
        UpdateExpressionRemoveClause,
        UpdateExpressionSetClause,
    )
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    make = UpdateExpressionParser.make.__func__

    def make_once(cls: type, expression: str) -> Any:
        tree = _update_trees.get(expression)
        if tree is None:
            tree = make(cls, expression)
            _keep(_update_trees, expression, tree)
            _keep(_tree_clauses, id(tree), (tree, {}))
        return tree

    UpdateExpressionParser.make = classmethod(make_once)
    global moto_find_clauses
    find_in = moto_find_clauses = Node.find_clauses

    def find_clauses(self: Any, clause_types: Any) -> Any:
        if self.parent is None:  # a tree's top: perhaps a kept tree
            kept = _tree_clauses.get(id(self))
            if kept is not None and kept[0] is self:
                key = tuple(clause_types)
                found = kept[1].get(key)
                if found is None:
                    found = kept[1][key] = find_in(self, clause_types)
                return list(found)
        return find_in(self, clause_types)

    Node.find_clauses = find_clauses

    parse = ConditionExpressionParser.parse

    def parse_once(self: Any) -> Any:
        if not self.condition_expression:
            return parse(self)
        key = _condition_key(self)
        kept = _conditions.get(key)
        if kept is None:
            operation = parse(self)
            kept = (operation, list(self.expr_attr_names_found), list(self.expr_attr_values_found))
            _keep(_conditions, key, kept)
            return operation
        operation, names_found, values_found = kept
        self.expr_attr_names_found.extend(names_found)
        self.expr_attr_values_found.extend(values_found)
        return operation

    ConditionExpressionParser.parse = parse_once
    global moto_traversal
    moto_traversal = DepthFirstTraverser.traverse_node_recursively
    our_traversal = _traverser(Node, DepthFirstTraverser.pre_processing_of_child)
    DepthFirstTraverser.traverse_node_recursively = our_traversal
    global moto_validate
    moto_validate = validators.Validator.validate
    validators.Validator.validate = _validator(Node, DepthFirstTraverser.pre_processing_of_child,
                                               DepthFirstTraverser.traverse, our_traversal)
    validators.deepcopy = tree_copy  # type: ignore[assignment]
    global moto_overlapping_paths_check
    moto_overlapping_paths_check = validators.OverlappingPathsValidator.check_for_overlapping_paths
    actions = (validators.UpdateExpressionSetAction, validators.UpdateExpressionAddAction,
               validators.UpdateExpressionRemoveAction, validators.UpdateExpressionDeleteAction)
    validators.OverlappingPathsValidator.check_for_overlapping_paths = _overlapping_paths_check(
        moto_overlapping_paths_check, actions, (Expression, UpdateExpressionFunction))
    global moto_verify_action_counts
    moto_verify_action_counts = validators.ActionCountValidator.verify_action_counts
    validators.ActionCountValidator.verify_action_counts = _verify_action_counts(
        validators.TooManyClauses,
        (UpdateExpressionAddClause, UpdateExpressionRemoveClause, UpdateExpressionSetClause),
        (Expression, UpdateExpressionFunction))
    _installed = True
