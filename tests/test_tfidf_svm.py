"""bot.nlu.tfidf_svm: the intent classifier trained, saved, loaded and refused."""

from __future__ import annotations

import collections

import pytest
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.tfidf_svm import TfidfSvmIntentClassifier, UntrustedModel

EXAMPLES = {
    "greet": ["hello there", "hi friend", "good morning", "hey", "hello po", "namaste"],
    "ask_wages": ["my wages are late", "salary not paid", "unpaid wages for two months",
                  "no pay since march", "boss did not pay my salary", "where is my wage"],
    "ask_passport": ["passport kept by the boss", "boss took my passport",
                     "they keep my passport", "passport taken by agency",
                     "can my employer hold my passport", "get my passport back"],
}


def _tokenised(texts: list[str]) -> list[Message]:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    messages = [Message(data={"text": text}) for text in texts]
    tokenizer.process(messages)
    return messages


def _training_data() -> TrainingData:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    data = TrainingData([Message(data={"text": text, "intent": intent})
                         for intent, texts in EXAMPLES.items() for text in texts])
    tokenizer.process_training_data(data)
    return data


@pytest.fixture
def storage(tmp_path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


CONTEXT = ExecutionContext(GraphSchema({}), "test")
RESOURCE = Resource("intent_classifier")


def _trained(storage: LocalModelStorage) -> TfidfSvmIntentClassifier:
    classifier = TfidfSvmIntentClassifier.create(
        TfidfSvmIntentClassifier.get_default_config(), storage, RESOURCE, CONTEXT)
    classifier.train(_training_data())
    return classifier


def test_it_reads_the_intent_and_ranks_every_intent_by_probability(storage):
    classifier = _trained(storage)

    messages = classifier.process(
        _tokenised(["my salary is late", "hello", "they took my passport"]))

    assert [message.get("intent")["name"] for message in messages] == [
        "ask_wages", "greet", "ask_passport"]
    for message in messages:
        ranking = message.get("intent_ranking")
        confidences = [entry["confidence"] for entry in ranking]
        assert sorted(entry["name"] for entry in ranking) == ["ask_passport", "ask_wages", "greet"]
        assert confidences == sorted(confidences, reverse=True)
        assert message.get("intent") == ranking[0]
        assert sum(confidences) == pytest.approx(1.0)


def test_a_loaded_classifier_gives_the_same_probabilities_from_fortran_weights(storage):
    trained = _trained(storage)
    loaded = TfidfSvmIntentClassifier.load(
        TfidfSvmIntentClassifier.get_default_config(), storage, RESOURCE, CONTEXT)

    texts = ["my salary is late", "hello", "they took my passport", "passport salary"]
    before = [m.get("intent_ranking") for m in trained.process(_tokenised(texts))]
    after = [m.get("intent_ranking") for m in loaded.process(_tokenised(texts))]

    assert after == before
    for calibrated in loaded.pipeline[-1].calibrated_classifiers_:
        assert calibrated.base_estimator.coef_.flags.f_contiguous


def test_a_model_file_naming_other_types_is_refused_not_loaded(storage):
    _trained(storage)
    with storage.write_to(RESOURCE) as directory:
        sio.dump({"counts": collections.Counter(a=1)}, directory / "pipeline.skops")
    assert sio.get_untrusted_types(file=directory / "pipeline.skops") == ["collections.Counter"]

    with pytest.raises(UntrustedModel):
        TfidfSvmIntentClassifier.load(
            TfidfSvmIntentClassifier.get_default_config(), storage, RESOURCE, CONTEXT)


def test_with_nothing_trained_messages_pass_unchanged(storage):
    classifier = TfidfSvmIntentClassifier.load(
        TfidfSvmIntentClassifier.get_default_config(), storage, RESOURCE, CONTEXT)
    one_intent = TrainingData([Message(data={"text": "hello", "intent": "greet"})])
    classifier.train(one_intent)

    [message] = classifier.process(_tokenised(["hello"]))

    assert classifier.pipeline is None
    assert message.get("intent") is None

