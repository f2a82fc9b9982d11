"""The SVG charts: pure functions from numbers to accessible markup."""

import xml.etree.ElementTree as ET

from reporting import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_nice_ceiling_rounds_up_to_a_readable_axis():
    assert [charts.nice_ceiling(v) for v in (0, 1, 3, 7, 12, 101, 4999)] == [
        1,
        1,
        5,
        10,
        20,
        200,
        5000,
    ]


def test_it_draws_one_bar_per_value_with_title_and_desc():
    svg = charts.bar_chart(
        title="Sessions per week",
        desc="Sessions not cancelled",
        bars=[
            charts.Bar("2 Mar", (3, 1)),
            charts.Bar("9 Mar", (0, 0)),
            charts.Bar("16 Mar", (2, 0)),
        ],
        series=[charts.Series("Booked", charts.BLUE), charts.Series("Outside", charts.ORANGE)],
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Sessions per week"
    assert root.find(f"{SVG}desc").text == "Sessions not cancelled"
    segments = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [r.find(f"{SVG}title").text for r in segments] == [
        "2 Mar: 3 booked",
        "2 Mar: 1 outside",
        "16 Mar: 2 booked",
    ]
    # Totals are printed as text above the bars, so the numbers read without colour.
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "4" in texts and "2" in texts


def test_taller_values_draw_taller_bars():
    svg = charts.bar_chart(
        title="t",
        desc="d",
        bars=[charts.Bar("a", (1,)), charts.Bar("b", (4,))],
        series=[charts.Series("n", charts.BLUE)],
    )
    heights = [
        float(r.get("height"))
        for r in parse(svg).iter(f"{SVG}rect")
        if r.find(f"{SVG}title") is not None
    ]
    assert heights[1] == 4 * heights[0]


def test_it_escapes_labels():
    svg = charts.bar_chart(
        title="<script>",
        desc="&",
        bars=[charts.Bar("<b>", (1,))],
        series=[charts.Series("n", charts.BLUE)],
    )
    assert "<script>" not in svg
    parse(svg)  # still well-formed


def test_an_empty_chart_is_still_a_chart():
    parse(charts.bar_chart(title="t", desc="d", bars=[], series=[charts.Series("n", "#000")]))
    svg = charts.share_bar(title="t", desc="d", segments=[("None", 0, charts.GREY)])
    assert "No one to count yet" in svg


def test_the_share_bar_splits_by_count_and_says_the_percentages():
    svg = charts.share_bar(
        title="Adoption",
        desc="People",
        segments=[("Organization", 3, charts.GREEN), ("Individual", 1, charts.BLUE)],
    )
    root = parse(svg)
    widths = [
        float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None
    ]
    assert widths[0] == 3 * widths[1]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Organization: 3 (75%)" in texts
    assert "Individual: 1 (25%)" in texts
