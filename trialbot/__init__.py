"""The trialbot command and the typed settings shared by the project's services."""
