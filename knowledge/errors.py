"""One small error family for everything that can go wrong loading or building knowledge."""


class KnowledgeError(Exception):
    """Base class: the message is meant for a person and says what to do."""


class IndexMissingError(KnowledgeError):
    """No index has been built yet."""


class IndexCorruptError(KnowledgeError):
    """Index files exist but cannot be read or disagree with each other."""


class IndexMismatchError(KnowledgeError):
    """The index was built with another model or settings than the ones in use."""


class DocumentError(KnowledgeError):
    """A source document cannot be read or parsed."""


REBUILD_HINT = "Run `trialbot index` to rebuild it."
