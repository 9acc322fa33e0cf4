"""The target environment: which Python spoke installs into, what it is, what it holds.

- :mod:`spoke.env.discovery` — find the interpreter (``--python``, ``VIRTUAL_ENV``, ``.venv``,
  ``PATH`` with ``--system``) and refuse externally managed ones (PEP 668).
- :mod:`spoke.env.probe` — the stdlib-only script run *inside* the target, printing JSON.
- :mod:`spoke.env.interpreter` — run (or reuse the cached) probe, build the
  :class:`~spoke.models.Interpreter` with its wheel tags and install schemes.
- :mod:`spoke.env.installed` — installed distributions from ``*.dist-info`` / ``*.egg-info``.
- :mod:`spoke.env.venv` — create a virtual environment without running ``python -m venv``.

Submodules are imported where used, so importing this package costs nothing.
"""
