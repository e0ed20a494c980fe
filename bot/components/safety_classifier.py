"""An NLU component that puts patient safety before everything: a message reporting urgent symptoms
becomes the intent ``urgent_symptom``, and a request for individual medical advice ``medical_advice``,
whatever the other classifiers predicted, in any turn (also in the middle of a form).

The detection itself lives in the project's ``safety`` package (patterns as data), shared with the
evaluation; the repository root must be on ``PYTHONPATH`` (``trialbot run`` and the Makefile set it).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from safety.advice import detect_medical_advice
from safety.urgent import detect_urgent


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyIntentClassifier(GraphComponent):
    """Overrides the intent for urgent symptoms and medical-advice requests."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SafetyIntentClassifier:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or text.startswith("/"):
                continue
            intent = None
            if detect_urgent(text) is not None:
                intent = "urgent_symptom"
            elif detect_medical_advice(text) is not None:
                intent = "medical_advice"
            if intent is None:
                continue
            message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
            ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != intent]
            message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}, *ranking], add_to_output=True)
        return messages
