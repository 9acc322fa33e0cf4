"""Medians, ratios, the two tables, the failure list and the JSON record."""

import json

from benchkit.measure import Measurement
from benchkit.report import (
    Cell,
    disagreements,
    failure_report,
    format_cell,
    format_ratio,
    format_seconds,
    ratio,
    render_markdown,
    render_text,
    results_document,
    summarize,
    summarize_cell,
    summarize_downloads,
)

PKGS = ("click==8.1.8", "flask==3.1.0")


def m(tool, scenario, seconds=None, *, run=1, status=None, set_name="small", installed=PKGS, output=""):
    return Measurement(
        set_name=set_name, tool=tool, scenario=scenario, run=run,
        status=status or ("ok" if seconds is not None else "failed"), seconds=seconds,
        returncode=0 if seconds is not None else 1, installed=installed, output=output,
        command=(f"/t/{tool}", "install"),
    )


def test_a_cell_is_the_median_of_its_runs():
    cell = summarize_cell([m("uv", "cold", 3.0, run=1), m("uv", "cold", 1.0, run=2), m("uv", "cold", 2.0, run=3)])
    assert cell == Cell(seconds=2.0, status="ok", ok_runs=3, runs=3)


def test_a_cell_with_some_failures_is_partial_and_marked():
    cell = summarize_cell([m("pip", "warm", 4.0), m("pip", "warm", run=2)])
    assert (cell.seconds, cell.status, cell.ok_runs, cell.runs) == (4.0, "partial", 1, 2)
    assert format_cell(cell) == "4.00*"


def test_a_cell_without_success_names_the_worst_outcome():
    assert summarize_cell([m("spoke", "warm", status="skipped"), m("spoke", "warm")]).status == "failed"
    assert summarize_cell([m("spoke", "warm", status="skipped")]).status == "skipped"
    assert summarize_cell([m("spoke", "cold", status="timeout")]).status == "timeout"
    assert format_cell(summarize_cell([])) == "-"


def test_numbers_read_well():
    assert [format_seconds(s) for s in (12.345, 1.234, 0.0421)] == ["12.3", "1.23", "0.042"]
    assert format_ratio(None) == "-"
    assert format_ratio(2.345) == "2.35x"
    assert format_ratio(12.34) == "12.3x"
    assert ratio(Cell(seconds=3.0, status="ok"), Cell(seconds=1.5, status="ok")) == 2.0
    assert ratio(Cell(seconds=3.0, status="ok"), Cell(seconds=None, status="failed")) is None


MEASUREMENTS = [
    m("spoke", "cold", 2.0), m("spoke", "warm", 0.5), m("spoke", "no-op", 0.05),
    m("uv", "cold", 1.0), m("uv", "warm", 0.25), m("uv", "no-op", 0.02),
    m("pip", "cold", 8.0), m("pip", "warm", 4.0), m("pip", "no-op", 1.0),
]


def test_summary_rows_follow_sets_and_scenarios_and_mark_absent_tools():
    rows = summarize(MEASUREMENTS, sets=["small"], tools=["spoke", "uv", "pip"])
    assert [(r.set_name, r.scenario) for r in rows] == [("small", "cold"), ("small", "warm"), ("small", "no-op")]
    assert rows[0].packages == 2
    assert rows[0].cells["pip-no-compile"].status == "absent"
    assert rows[1].cells["uv"].seconds == 0.25


def test_text_table():
    text = render_text(summarize(MEASUREMENTS, sets=["small"], tools=["spoke", "uv", "pip"]))
    assert text.splitlines() == [
        "set        scenario  spoke     uv   pip  pip --no-compile  spoke/uv  pip/spoke",
        "---------  --------  -----  -----  ----  ----------------  --------  ---------",
        "small (2)  cold       2.00   1.00  8.00                 -     2.00x      4.00x",
        "small (2)  warm      0.500  0.250  4.00                 -     2.00x      8.00x",
        "small (2)  no-op     0.050  0.020  1.00                 -     2.50x      20.0x",
    ]


def test_markdown_table():
    rows = summarize([*MEASUREMENTS[3:]], sets=["small"], tools=["spoke", "uv", "pip"])
    lines = render_markdown(rows).splitlines()
    assert lines[0] == "| set | scenario | spoke | uv | pip | pip --no-compile | spoke/uv | pip/spoke |"
    assert lines[1] == "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    assert lines[2] == "| small (2) | cold | - | 1.00 | 8.00 | - | - | - |"
    assert len(lines) == 5


def test_failure_report_lists_each_failure_once_with_its_output():
    measurements = [
        m("spoke", "cold", output="Traceback\nImportError: x", run=1),
        m("spoke", "warm", status="skipped", output="the cold install failed"),
        m("spoke", "cold", output="Traceback\nImportError: x", run=2),
        m("uv", "cold", 1.0),
    ]
    report = failure_report(measurements)
    assert report.splitlines() == [
        "--- spoke / small / cold: failed (exit code 1), 2 run(s)",
        "    $ /t/spoke install",
        "    Traceback",
        "    ImportError: x",
    ]
    assert failure_report([m("uv", "cold", 1.0)]) == ""


def test_disagreements_name_what_a_tool_left_out():
    measurements = [m("uv", "cold", 1.0), m("spoke", "cold", 1.0, installed=("flask==3.1.0",))]
    assert disagreements(measurements) == ["small: spoke installed 1 distributions, without click"]
    assert disagreements(MEASUREMENTS) == []


def test_results_document_is_json():
    rows = summarize(MEASUREMENTS, sets=["small"], tools=["spoke", "uv", "pip"])
    doc = json.loads(json.dumps(results_document(MEASUREMENTS, rows, meta={"runs": 1})))
    assert doc["runs"] == 1
    assert doc["summary"][0]["spoke_over_uv"] == 2.0
    assert doc["summary"][0]["cells"]["pip"]["median_seconds"] == 8.0
    assert len(doc["measurements"]) == len(MEASUREMENTS)


FILES = ("click-8.1.8-py3-none-any.whl", "flask-3.1.0-py3-none-any.whl")


def d(tool, scenario, seconds=None, *, run=1, status=None, set_name="large", files=FILES):
    return Measurement(
        set_name=set_name, tool=tool, scenario=scenario, run=run,
        status=status or ("ok" if seconds is not None else "failed"), seconds=seconds,
        returncode=0 if seconds is not None else 1, installed=files, output="" if seconds else "boom",
        command=(f"/t/{tool}", "download"), operation="download",
    )


DOWNLOADS = [
    d("spoke", "cold", 1.5), d("spoke", "cold", 1.0, run=2), d("spoke", "cold", 2.0, run=3),
    d("spoke", "rerun", 0.25), d("spoke", "rerun", 0.5, run=2), d("spoke", "rerun", 0.2, run=3),
    d("pip", "cold", 12.0), d("pip", "cold", 15.0, run=2), d("pip", "cold", 9.0, run=3),
    d("pip", "rerun", 4.0), d("pip", "rerun", run=2), d("pip", "rerun", 5.0, run=3),
]


def test_download_rows_are_apart_from_install_rows():
    both = [*MEASUREMENTS, *DOWNLOADS]
    assert [r.operation for r in summarize(both, sets=["small"], tools=["spoke", "uv", "pip"])] == ["install"] * 3
    rows = summarize_downloads(both, sets=["large"], tools=["spoke", "uv", "pip"])
    assert [(r.operation, r.set_name, r.scenario) for r in rows] == [("download", "large", "cold"),
                                                                     ("download", "large", "rerun")]
    assert set(rows[0].cells) == {"spoke", "pip"}
    assert rows[0].packages == 2
    assert (rows[0].cells["spoke"].seconds, rows[0].cells["pip"].seconds) == (1.5, 12.0)
    assert (rows[1].cells["pip"].seconds, rows[1].cells["pip"].status) == (4.5, "partial")
    only_spoke = summarize_downloads(DOWNLOADS, sets=["large"], tools=["spoke"])
    assert only_spoke[0].cells["pip"].status == "absent"


def test_download_table_text_follows_the_install_table():
    rows = (*summarize(MEASUREMENTS, sets=["small"], tools=["spoke", "uv", "pip"]),
            *summarize_downloads(DOWNLOADS, sets=["large"], tools=["spoke", "pip"]))
    tables = render_text(rows).split("\n\n")
    assert len(tables) == 2
    assert tables[0] == render_text(rows[:3])
    assert tables[1].splitlines() == [
        "set        download  spoke    pip  pip/spoke",
        "---------  --------  -----  -----  ---------",
        "large (2)  cold       1.50   12.0      8.00x",
        "large (2)  rerun     0.250  4.50*      18.0x",
    ]


def test_download_table_markdown():
    rows = summarize_downloads(DOWNLOADS, sets=["large"], tools=["spoke", "pip"])
    assert render_markdown(rows).splitlines() == [
        "| set | download | spoke | pip | pip/spoke |",
        "| --- | --- | ---: | ---: | ---: |",
        "| large (2) | cold | 1.50 | 12.0 | 8.00x |",
        "| large (2) | rerun | 0.250 | 4.50* | 18.0x |",
    ]
    both = render_markdown((*summarize(MEASUREMENTS, sets=["small"], tools=["spoke", "uv", "pip"]), *rows))
    first, second = both.split("\n\n")
    assert first.startswith("| set | scenario |") and second.startswith("| set | download |")


def test_download_failures_and_disagreements_say_download():
    report = failure_report([d("pip", "rerun", run=2)])
    assert report.splitlines()[0] == "--- pip / large / download rerun: failed (exit code 1), 1 run(s)"
    other = ("click-8.1.8-py3-none-any.whl", "flask-3.1.0.tar.gz")
    notes = disagreements([d("spoke", "cold", 1.0), d("pip", "cold", 9.0, files=other), *MEASUREMENTS])
    assert notes == [
        "large: spoke downloaded 2 files, without flask-3.1.0.tar.gz",
        "large: pip downloaded 2 files, without flask-3.1.0-py3-none-any.whl",
    ]


def test_results_document_with_downloads():
    rows = summarize_downloads(DOWNLOADS, sets=["large"], tools=["spoke", "pip"])
    doc = json.loads(json.dumps(results_document(DOWNLOADS, rows, meta={})))
    assert doc["summary"][0]["operation"] == "download"
    assert doc["summary"][0]["pip_over_spoke"] == 8.0 and doc["summary"][0]["spoke_over_uv"] is None
    assert doc["measurements"][0]["operation"] == "download"


def test_memory_table_medians_per_tool_and_the_ratio():
    from dataclasses import replace

    from benchkit.report import memory_table

    runs = [replace(m("spoke", "cold", 1.0, run=r), peak_rss=mb * 1_000_000)
            for r, mb in ((1, 100), (2, 300), (3, 200))]
    runs += [replace(m("uv", "cold", 1.0), peak_rss=50_000_000), m("pip", "cold", 2.0)]  # pip: not measured
    table = memory_table(runs)
    lines = table.splitlines()
    assert lines[0].split() == ["set", "scenario", "spoke", "MB", "uv", "MB", "spoke/uv"], table
    assert lines[2].split() == ["small", "cold", "200", "50", "4.00x"], table
    assert memory_table([m("pip", "cold", 2.0)]) == ""
    # A command that ended before the sampler saw it grow (a no-op) is shown as not measured.
    quick = memory_table([replace(m("spoke", "no-op", 0.02), peak_rss=300_000),
                          replace(m("uv", "no-op", 0.02), peak_rss=900_000)])
    assert quick.splitlines()[2].split() == ["small", "no-op", "-", "-", "-"], quick
