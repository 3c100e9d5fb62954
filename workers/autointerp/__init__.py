"""Autointerp in the worker: explainers and scorers that ask an LLM (through the `openai`
package) or a local sentence-embedding model, and the jobs that save their results
(docs/autointerp.md)."""
