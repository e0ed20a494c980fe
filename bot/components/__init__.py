"""Custom Rasa components of this project (run inside Rasa's Python 3.10 environment).

Rasa imports this package when it loads the model, in every Rasa process (``rasa run``, ``train``, ``test``):
that is where the Rasa server's log records get the same redaction of contact details as the other servers.
"""

from safety.redaction import install_process_redaction

install_process_redaction("rasa", "sanic.root", "sanic.error")
