"""Neuronpedia's bot user: it owns the rows of the public exports (every `creatorId` and
`authorId` in them), the rows made without a user, and the config tables."""

from __future__ import annotations

BOT_USER_ID = "clkht01d40000jv08hvalcvly"
