"""Attribution graphs on a worker: per-layer transcoders, circuit-tracer's replacement model, and
the graph server's operations (generate a graph, forward pass, steer on the graph).

Modules: `transcoders` (the saved format, training, conversion for circuit-tracer),
`replacement` (building and holding the `TransformerLensReplacementModel`), `prompts` (prompt or
chat messages to token ids, the 64-token limit), `generate`, `forward`, `steer` (the three tasks'
functions) and `clerps` (node labels from our explanations).
"""
