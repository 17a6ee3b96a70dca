"""Map a path inside a YAML document (``('rules', 2, 'rule')``) to the line it was written on.

``yaml.safe_load`` forgets where values came from; composing the same text keeps every node's
start mark, so an error found on the loaded data can still say ``rules.yaml:7``.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml


def compose(text: str) -> yaml.Node | None:
    """The node tree of ``text`` (``None`` for an empty document); raises yaml.YAMLError like safe_load."""
    return yaml.compose(text, Loader=yaml.SafeLoader)


def line_of(root: yaml.Node | None, path: Sequence[int | str]) -> int:
    """1-based line of the deepest node along ``path`` that exists.

    A path into a missing key or item gives the line of its nearest existing parent (a missing
    key is reported where the mapping that lacks it starts); an unknown key gives the key's line.
    """
    if root is None:
        return 1
    node: yaml.Node = root
    for depth, part in enumerate(path):
        child: yaml.Node | None = None
        last = depth == len(path) - 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    # A block value starts on the line after its key; the key is where a reader looks.
                    same_line = value_node.start_mark.line == key_node.start_mark.line
                    child = value_node if same_line or not last else key_node
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1
