"""Runs the API on a laptop: the deployed handlers behind a local HTTP server, a local DynamoDB and,
without credentials, an offline demo world. Nothing here is part of a deployed artifact."""
