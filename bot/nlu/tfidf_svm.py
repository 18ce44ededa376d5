"""An intent classifier chosen by measurement: TF-IDF n-grams, a linear SVM, a sigmoid.

``python -m bot nlu-compare`` (README, "How the NLU pipeline was chosen") measured it
against config.yml's former pipeline (word and char_wb counts, logistic regression) on
the same tokens: 0.851 against 0.804 by 5-fold cross-validation on data/nlu, 0.967
against 0.929 on the hard development set, and a quarter of the training time. The
features are built here, from the tokens of Rasa's tokenizer, so no featurizer runs
before it:

- word 1-2-grams and char_wb 2-4-grams, each TF-IDF with sublinear term frequency;
- one ``LinearSVC`` trained on all the examples;
- per intent, a sigmoid fitted on the SVM's margins of 3-fold cross-validation (Platt
  scaling, sklearn's ``CalibratedClassifierCV(ensemble=False)``), normalised to sum 1.
  The fallback, ``CautiousStop`` and ``CloseCallDetector`` read these probabilities.

The model is saved with ``skops`` (as Rasa's own sklearn classifiers are), and loaded
only when every type in the file is one this module saves: a model file is never a way
to run code. The SVM's weights are loaded in Fortran order: sklearn scores a message as
``features @ coef_.T``, and with ``coef_`` in C order scipy copies the whole transposed
matrix (intents x n-grams) for every message; in Fortran order ``coef_.T`` is contiguous,
the numbers are the same, and nothing is copied.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.svm import LinearSVC

logger = logging.getLogger(__name__)

WORD_PATTERN = r"(?u)\b\w+\b"  # as Rasa's CountVectorsFeaturizer finds words
# The types a saved model holds beyond those skops trusts itself (sklearn's estimators,
# numpy); a file naming any other is refused, never loaded.
SAVED_TYPES = frozenset({
    "scipy.sparse._csr.csr_matrix",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.model_selection._split.StratifiedKFold",
})


class UntrustedModel(Exception):
    """The saved classifier names a type this module never saves."""


def build_pipeline(config: dict[str, Any]) -> Pipeline:
    """The untrained features and classifier, as measured by ``bot.nlu.compare``."""
    features = make_union(
        TfidfVectorizer(token_pattern=WORD_PATTERN, ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
        n_jobs=1)
    folds = StratifiedKFold(n_splits=config["calibration_folds"], shuffle=True,
                            random_state=config["random_state"])
    svm = LinearSVC(C=config["C"], random_state=config["random_state"])
    return make_pipeline(features, CalibratedClassifierCV(
        svm, method="sigmoid", cv=folds, ensemble=False, n_jobs=1))


def message_text(message: Message) -> str:
    """The message as the tokenizer split it, tokens joined by single spaces."""
    tokens = message.get(TOKENS_NAMES[TEXT])
    if tokens:
        return " ".join(token.text for token in tokens)
    return message.get(TEXT) or ""


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class TfidfSvmIntentClassifier(IntentClassifier, GraphComponent):
    """Intents from TF-IDF word and character n-grams, by a calibrated linear SVM."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn", "skops"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"C": 1.0, "calibration_folds": 3, "random_state": 7, "ranking_length": 10}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, pipeline: Pipeline | None = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self.pipeline = pipeline
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TfidfSvmIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [example for example in training_data.intent_examples
                    if example.get(INTENT) and example.get(TEXT)]
        intents = {example.get(INTENT) for example in examples}
        if len(intents) < 2:
            logger.debug("TfidfSvmIntentClassifier: fewer than two intents, not trained")
            return self._resource
        pipeline = build_pipeline(self.config)
        # An array, not a list: sklearn 1.1 counts a class's examples with ``y == class``.
        pipeline.fit([message_text(example) for example in examples],
                     np.asarray([example.get(INTENT) for example in examples]))
        self.pipeline = pipeline
        self._persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.pipeline is None:
            return messages
        intents = self.pipeline.classes_
        rows = self.pipeline.predict_proba([message_text(message) for message in messages])
        for message, row in zip(messages, rows, strict=True):
            order = np.argsort(-row, kind="stable")
            ranking = [{INTENT_NAME_KEY: str(intents[index]),
                        PREDICTED_CONFIDENCE_KEY: float(row[index])} for index in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[: self.config["ranking_length"]],
                        add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def _persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as directory:
            sio.dump(self.pipeline, directory / "pipeline.skops")

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> TfidfSvmIntentClassifier:
        import skops.io as sio

        try:
            with model_storage.read_from(resource) as directory:
                path = directory / "pipeline.skops"
                if not path.is_file():
                    raise FileNotFoundError
                unknown = set(sio.get_untrusted_types(file=path))
                if unknown - SAVED_TYPES:
                    raise UntrustedModel("the intent model names types it was never saved with;"
                                         " train again (make train)")
                pipeline = sio.load(path, trusted=sorted(unknown))
        except (ValueError, FileNotFoundError):  # nothing was trained, or no resource
            return cls(config, model_storage, resource)
        fortran_weights(pipeline)
        return cls(config, model_storage, resource, pipeline)


def fortran_weights(pipeline: Pipeline) -> None:
    """Lay the SVM's weights out so that ``features @ coef_.T`` copies nothing."""
    for calibrated in pipeline[-1].calibrated_classifiers_:
        svm = getattr(calibrated, "base_estimator", None) or calibrated.estimator
        svm.coef_ = np.asfortranarray(svm.coef_)
