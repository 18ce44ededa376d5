"""bot.nlu.logistic_regression: the same predictions, from weights laid out for speed."""

from __future__ import annotations

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from scipy.sparse import csr_matrix

from bot.nlu.logistic_regression import LogisticRegressionClassifier

FEATURES = csr_matrix(np.array([[1, 0, 2, 0], [0, 1, 0, 3], [2, 0, 1, 0], [0, 3, 0, 1],
                                [0, 0, 0, 4], [0, 0, 1, 4]]))
INTENTS = ["ask_wages", "greet", "ask_wages", "greet", "thanks", "thanks"]


def test_a_loaded_classifier_has_fortran_weights_and_predicts_the_same(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**LogisticRegressionClassifier.get_default_config(), "random_state": 7}
    trained = LogisticRegressionClassifier.create(config, storage, resource, context)
    trained.clf.fit(FEATURES, INTENTS)
    trained.persist()

    loaded = LogisticRegressionClassifier.load(config, storage, resource, context)

    assert loaded.clf.coef_.flags.f_contiguous and loaded.clf.coef_.T.flags.c_contiguous
    assert np.array_equal(loaded.clf.coef_, trained.clf.coef_)
    assert np.array_equal(loaded.clf.predict_proba(FEATURES),
                          trained.clf.predict_proba(FEATURES))
    assert list(loaded.clf.predict(FEATURES)) == INTENTS
