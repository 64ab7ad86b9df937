"""Shared package of the connected-developers API: handle rules, upstream clients, the connection check
and the register store.

Modules are imported one by one on purpose: the register function must not pay for the X SDK or
requests at cold start, so nothing heavy is imported here.
"""
