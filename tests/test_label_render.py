"""Energy label drawing and rendering: real PDFs read back with pypdf, real SVGs parsed as XML."""

from __future__ import annotations

import datetime
import io
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from pypdf import PdfReader
from reportlab.graphics.shapes import String
from reportlab.pdfbase.pdfmetrics import stringWidth

from mlee.label import HEIGHT, WIDTH, label_drawing, render_label, write_label
from mlee.label.qr import qr_modules, qr_segments
from mlee.metrics import RATING_LETTERS
from mlee.rating.summary import MetricSummary, ModelSummary
from mlee.units import format_duration, format_energy

DAY = datetime.date(2026, 11, 28)
SVG_NS = "{http://www.w3.org/2000/svg}"


def metric(key: str, value, rating=None, weight=0.0, estimated=False) -> MetricSummary:
    return MetricSummary(key=key, value=value, index=None if value is None else 1.0, rating=rating,
                         weight=weight, estimated=estimated)


def make_summary(**overrides) -> ModelSummary:
    """An inference summary with values whose correct display is known by hand."""
    metrics = {
        "power_draw": metric("power_draw", 66.553, 1, 0.6),   # 66.553 J -> "66.6 J" (rounded, not 66.5)
        "time": metric("time", 0.22, 0, 0.4),                  # 0.22 s -> "220 ms" (not "0.22 ms")
        "f1_val": metric("f1_val", 0.53943, 3, 0.5),           # -> "53.9 %"
        "top1_val": metric("top1_val", 0.91256, 2, 0.3),       # -> "91.3 %" (rounded, not 91.2)
        "top5_val": metric("top5_val", 0.99, 0, 0.2),
        "parameters": metric("parameters", 27920, 4, 0.4),     # -> "27.9 k" (not "2792 M")
        "flops": metric("flops", 9_941_396, 2, 0.3),           # -> "9.94 M"
        "fsize": metric("fsize", 84813, 2, 0.3),
    }
    fields = dict(model="Random Forest", model_short="RF", dataset="credit-g", dataset_display="German Credit",
                  task="inference", environment="Intel Xeon W-2155 - scikit-learn 1.1.2", compound_rating=1,
                  rating_mode="optimistic median", fingerprint="3f9a2c1b", reference_model="Support Vector Machine",
                  energy_sources="CPU package-0 + DRAM (RAPL via pyRAPL)", energy_estimated=False,
                  n_test_samples=200, n_runs=3,
                  doc_url="https://scikit-learn.org/stable/modules/generated/"
                          "sklearn.ensemble.RandomForestClassifier.html",
                  metrics=metrics)
    fields.update(overrides)
    return ModelSummary(**fields)


def training_estimated() -> ModelSummary:
    base = make_summary()
    metrics = dict(base.metrics)
    metrics["power_draw"] = metric("power_draw", 5400.0, 3, 0.6, estimated=True)  # 1.5 Wh
    metrics["time"] = metric("time", 5400.0, 4, 0.4)                                # 1.5 h
    return make_summary(task="training", model="Linear Stochastic Gradient Descent", model_short="SGD",
                        compound_rating=4, energy_sources="CPU (estimated from TDP)", energy_estimated=True,
                        metrics=metrics, doc_url="")


def with_missing() -> ModelSummary:
    base = make_summary()
    metrics = dict(base.metrics)
    metrics["power_draw"] = metric("power_draw", None)
    metrics["top1_val"] = metric("top1_val", float("nan"))
    metrics["top5_val"] = metric("top5_val", None)
    metrics["flops"] = metric("flops", None)
    return make_summary(compound_rating=None, n_test_samples=None, metrics=metrics, energy_sources="n.a.")


def pdf_items(data: bytes) -> list[tuple[str, float, str]]:
    """(text, font size, font) of every text run of the one page, in drawing order."""
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    items: list[tuple[str, float, str]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            items.append((text.strip(), float(font_size), (font_dict or {}).get("/BaseFont", "")))

    reader.pages[0].extract_text(visitor_text=visit)
    return items


def pdf_lines(data: bytes) -> list[str]:
    return [text for text, _, _ in pdf_items(data)]


def svg_lines(data: bytes) -> list[str]:
    """Every text of an SVG in drawing order: ``<text>`` elements and outlined strings (``aria-label``)."""
    root = ET.fromstring(data)
    assert root.tag == f"{SVG_NS}svg"
    lines = []
    for el in root.iter():
        text = el.get("aria-label") if el.tag == f"{SVG_NS}g" else (
            "".join(el.itertext()) if el.tag == f"{SVG_NS}text" else None)
        if text and text.strip():
            lines.append(text.strip())
    return lines


def contains_run(lines: list[str], run: list[str]) -> bool:
    return any(lines[i:i + len(run)] == run for i in range(len(lines) - len(run) + 1))


def compound_marker(data: bytes) -> str:
    """The text of the compound marker: drawn right after the scale's letters A..E, and the largest
    text on the label besides the mlee wordmark."""
    items = pdf_items(data)
    texts = [text for text, _, _ in items]
    start = next(i for i in range(len(texts)) if texts[i:i + 5] == list(RATING_LETTERS))
    text, size, font = items[start + 5]
    assert font.endswith("DejaVuSans-Bold") and size >= 14
    return text


@pytest.fixture(scope="module")
def inference_pdf() -> bytes:
    return render_label(make_summary(), "pdf", DAY)


def test_inference_label_shows_the_summary_with_rounded_values_and_right_units(inference_pdf):
    lines = pdf_lines(inference_pdf)
    assert "Random Forest (RF)" in lines
    assert "Inference on German Credit" in lines
    assert "Intel Xeon W-2155 - scikit-learn 1.1.2" in lines
    assert compound_marker(inference_pdf) == "B"
    # each tile: title, caption, value, rating chip of the metric, in reading order
    assert contains_run(lines, ["Energy", "Total", "66.6 J", "B", "Per sample", "333 mJ"])  # 66.553 J / 200
    assert contains_run(lines, ["Running time", "Total", "220 ms", "A", "Per sample", "1.1 ms"])
    assert contains_run(lines, ["Quality", "F1", "53.9 %", "D", "Top-1 acc.", "91.3 %", "C"])
    assert contains_run(lines, ["Complexity", "Parameters", "27.9 k", "E", "FLOPs / sample", "9.94 M", "C"])
    assert "Energy sources: CPU package-0 + DRAM (RAPL via pyRAPL), measured" in lines
    assert "Rating: optimistic median, relative to Support Vector Machine (3 runs)" in lines
    assert "Boundaries + weights: 3f9a2c1b" in lines
    assert "Issued 2026-11-28" in lines
    assert not any("estimated" in line for line in lines)
    assert "n.a." not in lines


def test_compound_letter_and_headline_values_carry_the_weight_of_an_eu_label(inference_pdf):
    """The compound letter is the largest mark; the four headline values (and their letters) come next,
    at least twice the size of the other lines, so they read at A6 and on a phone."""
    items = pdf_items(inference_pdf)
    texts = [text for text, _, _ in items]
    marker = next(i for i in range(len(texts)) if texts[i:i + 5] == list(RATING_LETTERS)) + 5
    assert items[marker][0] == "B" and items[marker][1] == max(s for _, s, _ in items) >= 28
    size = {text: s for text, s, _ in items[marker + 1:]}
    headline = ["66.6 J", "220 ms", "53.9 %", "27.9 k"]
    assert all(size[v] >= 16 for v in headline), {v: size[v] for v in headline}
    assert all(size[v] <= 9.5 for v in ("333 mJ", "91.3 %", "9.94 M", "Total", "Per sample"))


def test_training_label_with_estimated_energy_and_large_values():
    data = render_label(training_estimated(), "pdf", DAY)
    lines = pdf_lines(data)
    assert "Linear Stochastic Gradient Descent (SGD)" in lines
    assert "Training on German Credit" in lines
    assert compound_marker(data) == "E"
    assert contains_run(lines, ["Energy (estimated)", "Total", "1.5 Wh", "D"])
    assert contains_run(lines, ["Running time", "Total", "1.5 h", "E"])
    assert "Per sample" not in lines  # training labels show totals only
    assert "Energy sources: CPU (estimated from TDP), estimated" in lines


def test_missing_values_print_as_na():
    data = render_label(with_missing(), "pdf", DAY)
    lines = pdf_lines(data)
    assert contains_run(lines, ["Energy", "Total", "n.a.", "-", "Per sample", "n.a."])
    assert contains_run(lines, ["Running time", "Total", "220 ms", "A", "Per sample", "n.a."])
    # neither top-1 nor top-5 accuracy: the accuracy line says n.a., unrated
    assert contains_run(lines, ["Quality", "F1", "53.9 %", "D", "Top-1 acc.", "n.a.", "-"])
    assert contains_run(lines, ["FLOPs / sample", "n.a.", "-"])
    assert compound_marker(data) == "n.a."
    assert "Not rated:" in lines
    assert "Energy sources: n.a." in lines


def test_top5_accuracy_is_shown_when_top1_is_missing():
    summary = make_summary()
    summary.metrics["top1_val"] = metric("top1_val", None)
    lines = pdf_lines(render_label(summary, "pdf", DAY))
    assert contains_run(lines, ["Top-5 acc.", "99 %", "A"])


def test_svg_parses_and_carries_the_same_text_as_the_pdf(inference_pdf):
    svg = render_label(make_summary(), "svg", DAY)
    assert svg_lines(svg) == pdf_lines(inference_pdf)
    root = ET.fromstring(svg)
    assert not list(root.iter(f"{SVG_NS}image"))  # vector only
    assert root.get("width") == "105.00mm" and root.get("height") == "148.00mm"


@pytest.mark.parametrize("fmt", ["pdf", "svg"])
def test_renders_are_byte_identical_and_the_issue_date_is_the_only_date(fmt):
    summary = make_summary()
    first = render_label(summary, fmt, DAY)
    assert render_label(summary, fmt, DAY) == first
    assert render_label(make_summary(), fmt, DAY) == first
    other = render_label(summary, fmt, DAY + datetime.timedelta(days=1))
    assert other != first
    assert b"2026-11-29" in other or "Issued 2026-11-29" in pdf_lines(other)


def test_default_issue_date_is_today():
    lines = pdf_lines(render_label(make_summary(), "pdf"))
    assert f"Issued {datetime.date.today().isoformat()}" in lines


def test_pdf_is_a6_vector_with_embedded_fonts_and_a_title(inference_pdf, tmp_path):
    reader = PdfReader(io.BytesIO(inference_pdf))
    page = reader.pages[0]
    assert float(page.mediabox.width) == pytest.approx(105 / 25.4 * 72, abs=0.01)
    assert float(page.mediabox.height) == pytest.approx(148 / 25.4 * 72, abs=0.01)
    resources = page["/Resources"]
    fonts = [f.get_object() for f in resources["/Font"].values()]
    assert sorted(str(f["/BaseFont"]).split("+")[-1] for f in fonts) == ["DejaVuSans", "DejaVuSans-Bold"]
    # every font carries its glyphs (a TrueType subset): the label renders the same in every viewer
    assert all("/FontFile2" in f["/FontDescriptor"].get_object() for f in fonts)
    if shutil.which("pdffonts"):
        (tmp_path / "label.pdf").write_bytes(inference_pdf)
        rows = subprocess.run(["pdffonts", str(tmp_path / "label.pdf")], capture_output=True, text=True,
                              check=True).stdout.splitlines()[2:]
        assert len(rows) == 2 and all(row.split()[-5] == "yes" for row in rows), rows  # the "emb" column
    assert "/XObject" not in resources  # no bitmap pieces
    assert reader.metadata.title == "Energy label: Random Forest (Inference) on German Credit"
    # fixed creation date (reportlab invariant mode), not the render time
    assert reader.metadata["/CreationDate"].startswith("D:2000")


def test_every_text_fits_on_the_label_even_for_long_names():
    summary = make_summary(model="An Extremely Long Method Name For Testing Layout Limits", model_short="XLONG",
                           environment="AMD EPYC 9654 96-Core Processor x2 + 8x NVIDIA H100 80GB HBM3 - "
                                       "scikit-learn 1.9.1 with a very long backend description",
                           energy_sources="CPU package-0 + package-1 + DRAM (RAPL) + 8 GPUs (NVML energy counters) "
                                          "+ memory (estimated from DIMM count)")
    drawing = label_drawing(summary, DAY)
    strings = [s for s in drawing.contents if isinstance(s, String)]
    assert strings
    for s in strings:
        width = stringWidth(s.text, s.fontName, s.fontSize)
        left = {"start": s.x, "middle": s.x - width / 2, "end": s.x - width}[s.textAnchor]
        assert 0 <= left and left + width <= WIDTH + 0.01, (s.text, left, width)
        assert 0 <= s.y <= HEIGHT
    lines = pdf_lines(render_label(summary, "pdf", DAY))
    assert "An Extremely Long Method Name For Testing Layout Limits (XLONG)" in lines


def test_qr_segments_cover_exactly_the_dark_modules():
    url = make_summary().doc_url
    modules = qr_modules(url)
    count, segments = qr_segments(url)
    assert count == len(modules) >= 21
    covered = [[False] * count for _ in range(count)]
    for r0, c0, r1, c1 in segments:
        assert r0 == r1 or c0 == c1
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                assert modules[r][c], "a segment covers a light module"
                covered[r][c] = True
    assert [list(row) for row in modules] == covered
    # far fewer path segments than dark modules
    assert len(segments) < sum(map(sum, modules)) / 2


def test_write_label_writes_atomically_with_the_format_from_the_suffix(tmp_path):
    svg_path = write_label(make_summary(), tmp_path / "sub" / "rf.svg", issue_date=DAY)
    assert svg_path.read_bytes() == render_label(make_summary(), "svg", DAY)
    pdf_path = write_label(make_summary(), tmp_path / "rf.label", fmt="pdf", issue_date=DAY)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["rf.label", "rf.svg", "sub"]  # no temp files left


def test_bad_format_and_path_give_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="use one of pdf, svg"):
        render_label(make_summary(), "png", DAY)
    with pytest.raises(ValueError, match="end the file name with .pdf or .svg"):
        write_label(make_summary(), tmp_path / "label.png")
    with pytest.raises(ValueError, match="task 'testing'"):
        render_label(make_summary(task="testing"), "pdf", DAY)
    with pytest.raises(TypeError, match="ModelSummary"):
        render_label({"model": "RF"}, "pdf", DAY)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("rating", range(5))
def test_each_compound_rating_is_marked(rating):
    data = render_label(make_summary(compound_rating=rating), "pdf", DAY)
    assert compound_marker(data) == RATING_LETTERS[rating]


def test_per_sample_values_use_the_shared_formatter():
    summary = make_summary(n_test_samples=7532)
    lines = pdf_lines(render_label(summary, "pdf", DAY))
    assert format_energy(66.553 / 7532) == "8.84 mJ"
    assert contains_run(lines, ["Per sample", "8.84 mJ"])
    assert contains_run(lines, ["Per sample", format_duration(0.22 / 7532)])


def test_svg_texts_are_outlines_of_the_pdf_font_and_other_drawings_fall_back_to_renderSVG():
    from reportlab.graphics.shapes import Drawing, Group

    from mlee.label.fonts import BOLD, glyph
    from mlee.label.svg import drawing_to_svg

    root = ET.fromstring(render_label(make_summary(), "svg", DAY))
    assert not list(root.iter(f"{SVG_NS}text"))  # no text left to a viewer's fonts
    model = next(g for g in root.iter(f"{SVG_NS}g") if g.get("aria-label") == "Random Forest (RF)")
    uses = list(model)
    assert len(uses) == len("RandomForest(RF)")  # one outline per visible glyph (spaces have none)
    defined = {p.get("id"): p.get("d") for p in root.iter(f"{SVG_NS}path") if p.get("id")}
    first = uses[0].get("{http://www.w3.org/1999/xlink}href")[1:]
    assert defined[first] == glyph(BOLD, "R")[1]
    # the string ends where the PDF's does: the advance widths are the layout's widths
    scale = float(model.get("transform").split("scale(")[1].split()[0])
    last_x = float(uses[-1].get("x")) + glyph(BOLD, ")")[2]
    assert last_x * scale == pytest.approx(stringWidth("Random Forest (RF)", BOLD, 15), abs=0.01)
    assert root.get("viewBox") == "0 0 297.64 419.53"
    grouped = Drawing(50, 20)
    grouped.add(Group(String(5, 5, "grouped")))
    assert "grouped" in svg_lines(drawing_to_svg(grouped))


def test_tiny_per_sample_energy_prints_in_nanojoules():
    summary = make_summary(n_test_samples=7532)
    summary.metrics["power_draw"] = metric("power_draw", 0.001, 0, 0.6)  # 1 mJ / 7532 samples = 133 nJ
    lines = pdf_lines(render_label(summary, "pdf", DAY))
    assert contains_run(lines, ["Energy", "Total", "1 mJ", "A", "Per sample", "133 nJ"])


def test_recorded_values_keep_number_and_unit_on_one_line():
    """CO2e and the energy net of idle wrap as a whole ("605 µJ", never "605" at a line's end and "µJ" on the
    next); every drawn string is plain text (no no-break space reaches the PDF)."""
    from mlee.label.drawing import wrap_text

    first = stringWidth("estimated; 605 µJ", "Helvetica", 6.5)
    for width in (first + 0.5, stringWidth("estimated; 605", "Helvetica", 6.5) + 0.5):  # room for "605", not "µJ"
        lines = wrap_text("estimated; 605\u00a0µJ net of idle", "Helvetica", 6.5, width)
        assert "605 µJ" in " | ".join(lines) and not any(line.endswith("605") for line in lines), lines
    for cut in range(60, 130, 4):  # wherever the line ends, no number is left without its unit
        summary = make_summary(co2e_g=5.53e-7, carbon_country="DEU", net_energy_j=6.05e-4,
                               energy_sources="CPU + memory " + "x" * cut)
        strings = [s.text for s in label_drawing(summary, DAY).contents if isinstance(s, String)]
        assert not any(t.rstrip().endswith(("553", "605")) for t in strings), strings
        assert not any("\u00a0" in t for t in strings)
        assert any("605 µJ" in t for t in strings)
