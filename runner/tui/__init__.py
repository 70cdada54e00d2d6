"""The terminal app: a live, keyboard-driven view of one runner home's queue.

Screens and widgets compose and route; requests to the host run in thread
workers that report back with the messages in `messages.py`.
"""
