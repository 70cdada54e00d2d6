"""Screens pushed over the queue: a job's details, the submit form, confirmations."""
