"""The API's JSON parser: DRF's, then the site-wide input rules (`neuronpedia_site.input_rules`)
over everything it decoded, so a NUL, a lone surrogate or an integer beyond bigint anywhere in a
body is a 400 naming where, before any view, database query or worker sees it."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from neuronpedia_site.input_rules import json_problem


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        problem = json_problem(data)
        if problem:
            raise ParseError(problem)
        return data
