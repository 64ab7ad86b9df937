"""`make bench`: what an answer costs in upstream round trips, X users read and cold start, measured
offline against fakes and a local DynamoDB server, each figure checked against the issue's target (see
bench/__main__.py)."""


class BenchError(Exception):
    """The benchmark itself went wrong (an answer or a call it did not expect): no figure can be trusted."""
