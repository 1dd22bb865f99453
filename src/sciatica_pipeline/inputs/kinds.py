"""The kinds of file the contract describes, in a module of their own so the command line
can name them without loading jsonschema."""

from __future__ import annotations

from typing import Literal, get_args

Kind = Literal[
    "bundle", "condition", "exercise", "precaution", "plan", "advice", "figure", "patient"
]

#: Every kind, in the order above.
KINDS: tuple[Kind, ...] = get_args(Kind)
