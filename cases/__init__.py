"""Handoff cases for human patient navigators: the database models, migrations, schemas and store."""
