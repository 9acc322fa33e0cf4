"""Installing from version control: ``git+https://host/repo.git@rev#subdirectory=pkg``.

* :func:`parse_vcs_url` reads pip's VCS URL syntax into a :class:`VcsUrl` (pure), which also
  writes the PEP 610 forms an install records (:meth:`VcsUrl.direct_url`,
  :meth:`VcsUrl.with_commit`);
* :func:`checkout` turns one into a working git checkout at a resolved commit, through a
  bare mirror cached per repository (see :mod:`spoke.vcs.git`).

Only git is checked out; ``hg+``, ``svn+`` and ``bzr+`` URLs parse, and :func:`checkout`
refuses them with a :class:`~spoke.errors.VcsError`. Importing this package is cheap.
"""

from __future__ import annotations

from spoke.vcs.git import Checkout, checkout, checkout_origin
from spoke.vcs.url import SCHEMES, VcsUrl, display_url, is_commit_id, parse_vcs_url

__all__ = [
    "SCHEMES", "Checkout", "VcsUrl", "checkout", "checkout_origin", "display_url", "is_commit_id",
    "parse_vcs_url",
]
