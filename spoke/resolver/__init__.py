"""spoke.resolver — a PubGrub version solver with no I/O.

The solver knows nothing about packaging: a :class:`Provider` answers which version of a
package to try and what it depends on (or why it is :class:`Unavailable`), and the solver
searches, learns from conflicts and backjumps. Version sets are
:class:`packaging.ranges.VersionRange`. Extras are modelled by the provider as virtual
packages (``"a[x]"`` depends on ``"a"`` at the same version plus the extra's dependencies).

When no solution exists, :class:`NoSolution` carries the proof as a derivation tree
(:mod:`spoke.resolver.tree`) and a "Because …" report written by :func:`explain`.

>>> from packaging.specifiers import SpecifierSet
>>> resolver = Resolver(provider)                                   # doctest: +SKIP
>>> resolver.solve({"requests": SpecifierSet(">=2").to_range()})    # doctest: +SKIP
{'requests': <Version('2.32.3')>, 'urllib3': <Version('2.2.2')>, ...}
"""

from __future__ import annotations

from spoke.resolver.report import default_describe, explain, format_range, is_pinned, suggest
from spoke.resolver.solver import NoSolution, Provider, Resolver, ResolverTooLong, Unavailable
from spoke.resolver.terms import Term
from spoke.resolver.tree import (
    ROOT,
    ROOT_VERSION,
    Dependency,
    DerivationTree,
    Derived,
    External,
    NotRoot,
    NoVersions,
    Package,
    UnavailableVersion,
)

__all__ = [
    "ROOT",
    "ROOT_VERSION",
    "Dependency",
    "DerivationTree",
    "Derived",
    "External",
    "NoSolution",
    "NoVersions",
    "NotRoot",
    "Package",
    "Provider",
    "Resolver",
    "ResolverTooLong",
    "Term",
    "Unavailable",
    "UnavailableVersion",
    "default_describe",
    "explain",
    "format_range",
    "is_pinned",
    "suggest",
]
