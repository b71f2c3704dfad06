"""The training job: fit a model, measure it on the evaluation sample, predict everything.

``train_model`` is one job with progress and cancel, in stages:

1. gather the training labels and the evaluation set (``core.training.data``);
2. fit the classifier (the baseline tunes itself by cross-validation);
3. evaluate on the evaluation set only, with bootstrap intervals, and estimate each
   category's prevalence in the unlabelled documents (adjusted classify-and-count);
4. predict every document, written in short batches so labelling goes on meanwhile;
5. save the model (skops or safetensors, never pickle) beside the project and finish the
   run record with parameters, library versions, seed, label counts and metrics.

A cancelled or failed job leaves its run marked 'cancelled' or 'failed' and returns at
once; earlier runs stay as they were. A job killed outright (kill -9, a power cut) cannot
mark its run: its heartbeat stops instead, and the next job marks the run 'interrupted'
(``core.training.heartbeat``). Nothing reads the predictions of a run that did not finish, and the
next training job deletes them in short batches before it starts (deleting a million rows
in one go held the write lock for 4 s), and the model folders of such runs.

With every document labelled (a gold-standard corpus), or fewer unlabelled documents
than a share needs (``core.evaluation.metrics.MIN_PREVALENCE_DOCUMENTS``), the run still trains,
evaluates and saves; it estimates no prevalence and its metrics say why
(``prevalence_note``).
"""

from __future__ import annotations

import shutil
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, func, select

from core.errors import Cancelled
from core.evaluation.metrics import estimate_prevalence, evaluate, prevalence_note
from core.jobs import (
    CancelCheck,
    PartialCallback,
    ProgressCallback,
    ProgressReporter,
    read_ahead,
    scaled,
)
from core.models import Classifier, ClassifierConfig, check_labels, load_classifier, make_classifier
from core.models.base import config_for, library_versions
from core.models.distributed import is_main_process
from core.models.hub import check_folder
from core.models.parallel import PredictorPool, worker_count
from core.store.counts import document_total
from core.store.predictions import (
    PredictionRow,
    delete_predictions,
    prediction_rows,
    write_predictions,
)
from core.store.project import Project
from core.store.schema import Document, ModelRun, Prediction, utcnow
from core.training.active_learning import uncertainty
from core.training.data import TrainingData, training_data
from core.training.heartbeat import (
    UNFINISHED,
    Heartbeat,
    RunInterruptedError,
    ensure_running,
    mark_interrupted_runs,
)

if TYPE_CHECKING:
    import numpy as np

#: Documents predicted and written per batch (each batch its own short write transaction).
#: 5,000 rather than 10,000: the job with its prediction worker peaked at 372-374 MB
#: instead of 427-439 MB on 1,000,000 documents, at the same speed (BENCHMARKS.md).
PREDICT_BATCH = 5_000
#: How the stored per-document uncertainty is computed (see core.training.active_learning).
UNCERTAINTY = "margin"
_LIBRARIES = ("scikit-learn", "numpy", "scipy", "safetensors", "torch", "transformers", "labelloop")


@dataclass
class TrainingResult:
    run_id: int
    kind: str
    metrics: dict[str, Any]
    seconds: float


def models_folder(project: Project) -> Path:
    """Where a project's fitted models live: a folder beside the project file."""
    return project.path.with_name(f"{project.path.stem}.models")


def train_model(
    project: Project,
    kind: str = "baseline",
    config: ClassifierConfig | None = None,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> TrainingResult:
    """Train ``kind`` on the project's training labels; see the module docstring."""
    started = time.perf_counter()
    ProgressReporter(progress, should_cancel).report(0, 1, "Gathering labels")
    data = training_data(project)
    names = data.category_names
    check_labels([names.get(label, label) for label in data.train.labels])  # errors name them
    classifier = make_classifier(kind, config)
    seed = getattr(config, "seed", 0) if config is not None else 0
    if not is_main_process():
        # A helper process of a multi-GPU launch (see core.models.distributed): it only
        # helps fit a transformer; the main process records, evaluates and predicts.
        if kind == "transformer":
            classifier.fit(data.train.texts, data.train.labels, should_cancel=should_cancel)
        return TrainingResult(0, kind, {}, time.perf_counter() - started)
    clean_up_unfinished_runs(
        project, progress=scaled(progress, 0.0, 0.02), should_cancel=should_cancel
    )
    run_id = _start_run(project, kind, data.train.counts(names), seed)
    heartbeat = Heartbeat(project, run_id)

    def cancel_check() -> bool:  # also stops a job whose run another process took over
        heartbeat.check()
        return bool(should_cancel is not None and should_cancel())

    try:
        with heartbeat:
            parameters, metrics = _fit_measure_predict(
                project, classifier, data, run_id, seed, progress, cancel_check
            )
            ProgressReporter(progress, cancel_check).report(0.97, 1, "Saving the model")
            artifact = models_folder(project) / f"run-{run_id}"
            artifact.mkdir(parents=True, exist_ok=True)
            classifier.save(artifact)
        seconds = time.perf_counter() - started
        metrics["seconds"] = seconds
        _finish_run(project, run_id, parameters, metrics, artifact)
    except BaseException as error:
        if isinstance(error, RunInterruptedError):
            status = "interrupted"
        elif isinstance(error, Cancelled | KeyboardInterrupt):
            status = "cancelled"
        else:
            status = "failed"
        _abandon_run(project, run_id, status)
        raise
    ProgressReporter(progress).report(1, 1, "Done")
    return TrainingResult(run_id, kind, metrics, seconds)


def _fit_measure_predict(
    project: Project,
    classifier: Classifier,
    data: TrainingData,
    run_id: int,
    seed: int,
    progress: ProgressCallback | None,
    should_cancel: CancelCheck,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Stages 2 to 4 of the job: the fit's parameters and the run's metrics."""
    names = data.category_names
    fit = classifier.fit(
        data.train.texts,
        data.train.labels,
        progress=scaled(progress, 0.02, 0.55),
        should_cancel=should_cancel,
    )
    ProgressReporter(progress, should_cancel).report(0.55, 1, "Measuring on the evaluation sample")
    metrics: dict[str, Any] = {
        "category_names": names,
        "cross_validation": fit.cv_scores,
        "train_size": len(data.train),
        "evaluation_size": len(data.evaluation),
        # What the user should know about this fit: trained on a CPU, the batch halved
        # after running out of GPU memory, too few labels for early stopping …
        "notes": list(fit.notes),
    }
    classes = list(classifier.classes_)
    # A category may occur in the evaluation set without training labels: the model
    # cannot predict it, and the metrics must say so (its recall is 0), not hide it.
    eval_true = data.evaluation.labels
    scored = classes + sorted(set(eval_true) - set(classes))
    eval_pred: list[str] = []
    if len(data.evaluation):
        proba = classifier.predict_proba(data.evaluation.texts)
        eval_pred = [classes[i] for i in proba.argmax(axis=1)]
        evaluation = evaluate(eval_true, eval_pred, scored, seed=seed, names=names)
        metrics["evaluation"] = evaluation.as_dict()
    predicted = _predict_all(
        project,
        classifier,
        run_id,
        progress=scaled(progress, 0.6, 0.97),
        should_cancel=should_cancel,
        not_counted=set(data.train.document_ids) | set(data.evaluation.document_ids),
        while_running=True,
    )
    # Prevalence among the documents nobody labelled, where there are enough of them.
    unlabelled = sum(predicted.values())
    metrics["unlabelled_documents"] = unlabelled
    note = prevalence_note(unlabelled, evaluated=bool(eval_pred))
    if note is not None:
        metrics["prevalence_note"] = note
    else:
        counts = {c: predicted.get(c, 0) for c in scored}
        prevalence = estimate_prevalence(
            counts, eval_true, eval_pred, scored, seed=seed, names=names
        )
        metrics["prevalence"] = {c: dict(v) for c, v in prevalence.items()}
    return fit.parameters, metrics


#: What ``--model baseline-then-transformer`` and the Train page's default with a GPU run.
SEQUENCES: dict[str, tuple[str, ...]] = {"baseline-then-transformer": ("baseline", "transformer")}


def train_models(
    project: Project,
    plan: list[tuple[str, ClassifierConfig | dict[str, Any] | None]],
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
    partial: PartialCallback | None = None,
) -> list[TrainingResult]:
    """Train several models one after the other in one job (baseline, then BERT).

    Each finished run is handed to ``partial`` as soon as it is saved, so the window
    shows the baseline's result while BERT trains. The progress bar is split by a rough
    cost share: a transformer takes far longer than the baseline. Cancelling stops the
    run in progress; runs already finished stay. A plan entry's settings may be a dict
    (built into the kind's config here, so the window never imports torch itself).
    """
    configs = [
        (kind, config_for(kind, **settings) if isinstance(settings, dict) else settings)
        for kind, settings in plan
    ]
    for _, config in configs:  # a mistyped model folder, before the baseline's minutes
        if isinstance(getattr(config, "model_name", None), str):
            check_folder(config.model_name)  # type: ignore[union-attr]
    weights = [20.0 if kind == "transformer" else 1.0 for kind, _ in plan]
    total = sum(weights)
    results: list[TrainingResult] = []
    start = 0.0
    for (kind, config), weight in zip(configs, weights, strict=True):
        part = scaled(progress, start / total, (start + weight) / total)
        result = train_model(project, kind, config, progress=part, should_cancel=should_cancel)
        results.append(result)
        if partial is not None:
            partial(result)
        start += weight
    return results


def predict_with_run(
    project: Project,
    run_id: int | None = None,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> int:
    """Predict every document again with a finished run's saved model (after an import).

    Rows are replaced batch by batch, never deleted first: a cancelled re-prediction
    leaves each document with this run's prediction, old or new (the same model, so the
    same values), and the documents not reached yet simply lack one if they are new.
    Returns the number of documents predicted.
    """
    with project.read() as session:
        query = select(ModelRun).where(ModelRun.status == "finished")
        if run_id is not None:
            query = query.where(ModelRun.id == run_id)
        run = session.scalars(query.order_by(ModelRun.id.desc())).first()
    if run is None or run.artifact_path is None:
        from core.errors import LabelLoopError

        raise LabelLoopError("No trained model yet: train one first ('labelloop train').")
    classifier = load_classifier(run.kind, Path(run.artifact_path))
    predicted = _predict_all(
        project, classifier, run.id, progress=progress, should_cancel=should_cancel, replace=True
    )
    return sum(predicted.values())


# -- runs --------------------------------------------------------------------------------


def _start_run(project: Project, kind: str, label_counts: dict[str, int], seed: int) -> int:
    now = utcnow()
    with project.write() as session:
        run = ModelRun(
            kind=kind,
            status="running",
            library_versions=library_versions(*_LIBRARIES),
            seed=seed,
            label_counts=label_counts,
            codebook_version=project.codebook_version,
            started_at=now,
            heartbeat_at=now,
        )
        session.add(run)
        session.flush()
        return run.id


def _finish_run(
    project: Project,
    run_id: int,
    parameters: dict[str, Any],
    metrics: dict[str, Any],
    artifact: Path,
) -> None:
    """Mark the run finished, unless another process took it for interrupted meanwhile."""
    with project.write() as session:
        ensure_running(session, run_id)
        run = session.get_one(ModelRun, run_id)
        run.parameters = parameters
        run.metrics = metrics
        run.artifact_path = str(artifact)
        run.status = "finished"
        run.finished_at = run.heartbeat_at = utcnow()


def _abandon_run(project: Project, run_id: int, status: str) -> None:
    """Mark the run (unless another process marked it interrupted already) and remove its
    model folder; its predictions go later (``purge_unfinished_predictions``)."""
    with project.write() as session:
        run = session.get_one(ModelRun, run_id)
        if run.status == "running":
            run.status = status
            run.finished_at = utcnow()
    shutil.rmtree(models_folder(project) / f"run-{run_id}", ignore_errors=True)


def clean_up_unfinished_runs(
    project: Project,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> list[int]:
    """Before a new run: mark runs whose process is gone 'interrupted', remove the model
    folders of every run that did not finish, and purge their predictions. Returns the
    ids of the runs marked interrupted now."""
    interrupted = mark_interrupted_runs(project)
    with project.read() as session:
        unfinished = session.scalars(select(ModelRun.id).where(ModelRun.status.in_(UNFINISHED)))
        for run_id in unfinished:
            shutil.rmtree(models_folder(project) / f"run-{run_id}", ignore_errors=True)
    purge_unfinished_predictions(project, progress=progress, should_cancel=should_cancel)
    return interrupted


PURGE_BATCH = 10_000


def purge_unfinished_predictions(
    project: Project,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
) -> int:
    """Delete the predictions of cancelled, failed and interrupted runs, ``PURGE_BATCH``
    rows per short write transaction so that labels saved meanwhile hardly wait. Returns
    the number of rows deleted. Runs still 'running' are left alone: another process (the
    command line) may be training; :func:`clean_up_unfinished_runs` marks those whose
    process is gone first."""
    with project.read() as session:
        runs = session.execute(
            select(ModelRun.id, ModelRun.status).where(
                ModelRun.status.in_(UNFINISHED),
                exists().where(Prediction.run_id == ModelRun.id),
            )
        ).all()
        if not runs:
            return 0
        total = session.scalar(
            select(func.count())
            .select_from(Prediction)
            .where(Prediction.run_id.in_([run.id for run in runs]))
        )
    reporter = ProgressReporter(progress, should_cancel)
    deleted = 0
    for run_id, status in runs:
        while True:
            article = "an" if status == "interrupted" else "a"
            message = f"Removing the predictions of {article} {status} run"
            reporter.report(deleted, total or 1, message)
            with project.write() as session:
                count = delete_predictions(session, run_id, PURGE_BATCH)
            deleted += count
            if count < PURGE_BATCH:
                break
    return deleted


# -- predictions -------------------------------------------------------------------------


def _batches(project: Project, size: int) -> Iterator[tuple[list[int], list[str]]]:
    last = 0
    while True:
        with project.read() as session:
            rows = session.execute(
                select(Document.id, Document.text)
                .where(Document.id > last)
                .order_by(Document.id)
                .limit(size)
            ).all()
        if not rows:
            return
        last = rows[-1].id
        yield [r.id for r in rows], [r.text for r in rows]


def _predict_all(
    project: Project,
    classifier: Classifier,
    run_id: int,
    *,
    progress: ProgressCallback | None,
    should_cancel: CancelCheck | None,
    not_counted: set[int] | None = None,
    replace: bool = False,
    while_running: bool = False,
) -> dict[str, int]:
    """Predict every document and store it (``replace``: over the run's earlier rows);
    returns predicted counts per class among the documents not in ``not_counted`` (the
    labelled ones, for prevalence).

    Each batch is its own short write transaction, so labels saved meanwhile by the
    window wait a few milliseconds at most. ``while_running``: each batch first checks,
    in its transaction, that the run is still running (``core.training.heartbeat``).
    """
    reporter = ProgressReporter(progress, should_cancel)
    with project.read() as session:
        total = document_total(session)
    classes = list(classifier.classes_)
    counts = dict.fromkeys(classes, 0)
    skip = not_counted or set()

    def write(rows: list[PredictionRow]) -> None:
        with project.write() as session:
            if while_running:
                ensure_running(session, run_id)
            write_predictions(session, rows, replace=replace)

    # The stages overlap: the next batch's texts are read (read_ahead) and the last
    # batch's predictions written (the writer thread) while this one is predicted, here or,
    # for a large corpus, in worker processes on the other cores (core.models.parallel).
    # SQLite releases the GIL as it reads and writes. Batches are written one at a time,
    # in order; leaving the block waits for what is under way.
    portable = getattr(classifier, "portable_predictor", None)
    workers = worker_count(total) if portable is not None else 0
    done = 0
    writing: Future[None] | None = None
    predicting: deque[tuple[list[int], list[str], Future[np.ndarray]]] = deque()
    pool: PredictorPool | None = None

    def store_next() -> None:
        nonlocal done, writing, pool
        ids, texts, future = predicting.popleft()
        try:
            proba = future.result()
        except BrokenProcessPool:
            # A worker died (killed, out of memory, or a script without an
            # ``if __name__ == "__main__":`` guard, which spawn runs again in each
            # worker): predict here from now on.
            pool = None
            proba = classifier.predict_proba(texts)
        best = proba.argmax(axis=1)
        # The uncertainty stored is 1 − the margin between the top two categories: the
        # order of the default query strategy (margin, the best in the simulation
        # benchmark), so "Most uncertain first" asks what it measured.
        scores = uncertainty(proba, UNCERTAINTY)
        rows = prediction_rows(run_id, ids, classes, proba, best, scores)
        if writing is not None:
            writing.result()  # the batch before is stored (or its error raised here)
            reporter.report(done, total, f"Predicted {done:,} of {total:,} documents")
        writing = writer.submit(write, rows)
        for doc_id, b in zip(ids, best.tolist(), strict=True):
            if doc_id not in skip:
                counts[classes[b]] += 1
        done += len(ids)

    with ExitStack() as stack:
        writer = stack.enter_context(
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="predictions-writer")
        )
        if workers and portable is not None:
            pool = stack.enter_context(PredictorPool(portable(), workers))
        for ids, texts in read_ahead(_batches(project, PREDICT_BATCH)):
            waiting = sum(not future.done() for _, _, future in predicting)
            future: Future[np.ndarray] | None = None
            if pool is not None and waiting <= workers:  # a worker is free, or soon
                try:
                    future = pool.submit(texts)
                except BrokenProcessPool:  # see store_next
                    pool = None
            if future is None:  # this process predicts while the workers are busy
                future = Future()
                future.set_result(classifier.predict_proba(texts))
            predicting.append((ids, texts, future))
            # Stored in order: what is ready, and the oldest when too many wait.
            while predicting and (predicting[0][2].done() or len(predicting) > workers + 2):
                store_next()
        while predicting:
            store_next()
        if writing is not None:
            writing.result()
    reporter.report(done, total, f"Predicted {done:,} of {total:,} documents")
    return counts
