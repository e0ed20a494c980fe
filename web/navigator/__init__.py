"""The navigator console: sign-in, the case queue, case pages, live replies, export and the audit log.

``api`` (JSON under ``/api/navigator``), ``pages`` (HTML under ``/navigator``), ``live`` (the widget's
``/api/chat/messages``), ``auth`` (session cookies, CSRF tokens, rate limits), ``rasa_api`` (Rasa's HTTP API:
tracker, pause, reply, resume), ``deps`` (the ``Annotated`` dependencies) and ``schemas``.
"""
