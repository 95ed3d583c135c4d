"""The verdict: gates (registry, evaluation, wording) and the concerns a reviewer must read first."""
