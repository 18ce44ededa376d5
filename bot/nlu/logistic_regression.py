"""Rasa's logistic regression intent classifier, with its weights laid out for speed.

sklearn scores a message as ``features @ coef_.T``. ``coef_`` is stored in C order
(27 intents x ~67,000 n-gram features), so ``coef_.T`` is not contiguous, and
scipy's sparse-times-dense product copies it, 14 MB, for every message: that copy
was half of the NLU time of a turn. Keeping ``coef_`` in Fortran order makes
``coef_.T`` contiguous: the same numbers and the same predictions, and on this
machine the NLU part of a turn went from 17.8 to 7.8 ms at p95 (``make bench``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import (
    LogisticRegressionClassifier as RasaLogisticRegressionClassifier,
)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LogisticRegressionClassifier(RasaLogisticRegressionClassifier):
    """Rasa's classifier, trained the same way; loaded with Fortran-ordered weights."""

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any
             ) -> RasaLogisticRegressionClassifier:
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        if hasattr(component.clf, "coef_"):  # absent when nothing was trained
            component.clf.coef_ = np.asfortranarray(component.clf.coef_)
        return component
