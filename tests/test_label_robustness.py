"""The label's robustness panel: there for results with robustness values (read back from a real PDF), absent
for results without them, and laid out without overlapping the other tiles or the footer."""

from __future__ import annotations

import datetime
import io

from pypdf import PdfReader
from reportlab.graphics.shapes import Rect, String

from mlee.label import HEIGHT, WIDTH, label_drawing, render_label
from mlee.label.drawing import LIGHT
from mlee.rating.summary import MetricSummary, ModelSummary

DAY = datetime.date(2026, 11, 29)


def _summary(robust: bool) -> ModelSummary:
    values = {"power_draw": (66.553, 1), "time": (0.22, 0), "f1_val": (0.53943, 3), "top1_val": (0.91256, 2),
              "parameters": (27920, 4), "flops": (9_941_396, 2)}
    if robust:  # a model without probabilities: accuracy drop measured, calibration not available
        values.update({"noise_drop": (0.0523, 1), "noise_top1_mid": (0.88, 2), "ece": (None, None)})
    metrics = {k: MetricSummary(key=k, value=v, index=None if v is None else 1.0, rating=r)
               for k, (v, r) in values.items()}
    return ModelSummary(model="Ridge Regression", model_short="RR", dataset="iris", dataset_display="Iris",
                        task="inference", environment="EPYC - scikit-learn 1.9.1", compound_rating=1,
                        rating_mode="optimistic median", fingerprint="0badf00d", reference_model="Logistic Regression",
                        energy_sources="CPU + memory (estimated)", n_test_samples=38, metrics=metrics)


def _text(summary: ModelSummary) -> str:
    reader = PdfReader(io.BytesIO(render_label(summary, "pdf", DAY)))
    return reader.pages[0].extract_text()


def test_robustness_panel_only_with_robustness_values():
    with_panel, without = _text(_summary(True)), _text(_summary(False))
    for text in ("Robustness", "Acc. drop (noise)", "5.23 %", "Calibration (ECE)"):
        assert text in with_panel and text not in without, text
    assert "n.a." in with_panel  # no calibration without probabilities, said so
    for text in ("Energy", "Running time", "Quality", "Complexity", "66.6 J", "220 ms", "27.9 k"):
        assert text in with_panel and text in without, text


def _boxes(summary: ModelSummary) -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) of every tile or panel box of the label drawing."""
    return [(s.x, s.y, s.x + s.width, s.y + s.height) for s in label_drawing(summary, DAY).contents
            if isinstance(s, Rect) and s.fillColor == LIGHT]


def test_panels_do_not_overlap_each_other_or_the_footer():
    for robust, count in ((False, 4), (True, 5)):
        drawing = label_drawing(_summary(robust), DAY)
        boxes = _boxes(_summary(robust))
        assert len(boxes) == count
        for i, a in enumerate(boxes):
            assert 0 <= a[0] and a[2] <= WIDTH and 0 <= a[1] and a[3] <= HEIGHT
            for b in boxes[i + 1:]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
        footer = next(s for s in drawing.contents if isinstance(s, String) and s.text.startswith("Energy sources"))
        assert footer.y + footer.fontSize < min(b[1] for b in boxes)
        # every value of a panel sits inside its box
        for s in drawing.contents:
            if isinstance(s, String) and s.text in ("5.23 %", "n.a.", "Robustness"):
                assert any(b[0] <= s.x <= b[2] and b[1] < s.y < b[3] for b in boxes), s.text
