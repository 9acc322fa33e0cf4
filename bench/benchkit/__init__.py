"""The benchmark harness behind ``bench/run.py``.

It times spoke, uv and pip installing the same requirement sets on the same machine in one run:

- :mod:`benchkit.hermetic`: the environment every tool runs in (no host pip/uv/spoke config);
- :mod:`benchkit.tools`: the tools' own venv, and the command line each tool is timed with;
- :mod:`benchkit.measure`: one cold / warm / no-op sequence into fresh target venvs;
- :mod:`benchkit.report`: medians, ratios, the text and Markdown tables, the JSON record.

Only ``bench/run.py`` prints; these modules return values (the one exception is the
``progress`` callback :func:`benchkit.measure.measure_sequence` is handed).
"""
