"""The FastAPI web service: the chat widget, its chat endpoint, the demo page and health."""
