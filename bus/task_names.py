"""The registered name of every task the web side sends, written once.

Names follow their modules (Celery's default naming): `workers.tasks.inference.tokenize` is
`tokenize` in `workers/tasks/inference.py`. The web side sends by name and never imports the
task modules, which import torch. `tests/workers/test_task_names.py` checks each name against
what a worker registers.
"""

from __future__ import annotations

# workers/tasks/__init__.py: any worker
PING = "workers.tasks.ping"
WORKER_STATUS = "workers.tasks.worker_status"

# workers/tasks/inference.py: queue inference.<modelId>
TOKENIZE = "workers.tasks.inference.tokenize"
ACTIVATION_SINGLE = "workers.tasks.inference.activation_single"
ACTIVATIONS_ALL = "workers.tasks.inference.activations_all"
TOPK_BY_TOKEN = "workers.tasks.inference.topk_by_token"
SOURCE_ACTIVATIONS = "workers.tasks.inference.source_activations"
DECODER_COSSIM_TOPK = "workers.tasks.inference.decoder_cossim_topk"
FEATURE_VECTOR = "workers.tasks.inference.feature_vector"

# workers/tasks/steering.py: queue inference.<modelId>
STEER_COMPLETION = "workers.tasks.steering.steer_completion"
STEER_CHAT = "workers.tasks.steering.steer_chat"

# workers/tasks/graphs.py: queue inference.<modelId>
GRAPH_GENERATE = "workers.tasks.graphs.generate_graph"
GRAPH_FORWARD_PASS = "workers.tasks.graphs.forward_pass"
GRAPH_STEER = "workers.tasks.graphs.steer_logits"
GRAPH_PARSE_CHAT_PROMPT = "workers.tasks.graphs.parse_chat_prompt"

# workers/tasks/embeddings.py: a query on queue embed (bus.client.EMBED_QUEUE), the
# background job that embeds explanations on queue default
EMBED_QUERY = "workers.tasks.embeddings.embed_query"
EMBED_EXPLANATIONS = "workers.tasks.embeddings.embed_explanations"

# importer/tasks.py: queue default
IMPORT_JOB = "importer.tasks.import_job"

# workers/tasks/autointerp.py: queue default
AUTOINTERP_EXPLAIN = "workers.tasks.autointerp.explain"
AUTOINTERP_SCORE = "workers.tasks.autointerp.score"
AUTOINTERP_V1_EXPLAIN_DEFAULT = "workers.tasks.autointerp.v1_explain_default"
AUTOINTERP_V1_SCORE_FUZZ_DETECTION = "workers.tasks.autointerp.v1_score_fuzz_detection"
AUTOINTERP_V1_SCORE_EMBEDDING = "workers.tasks.autointerp.v1_score_embedding"
AUTOINTERP_BATCH = "workers.tasks.autointerp.batch"

# workers/tasks/umap.py: queue inference.<modelId> (decoder directions) or default
UMAP_LAYOUT = "workers.tasks.umap.layout_source"

ALL = (
    PING,
    WORKER_STATUS,
    TOKENIZE,
    ACTIVATION_SINGLE,
    ACTIVATIONS_ALL,
    TOPK_BY_TOKEN,
    SOURCE_ACTIVATIONS,
    DECODER_COSSIM_TOPK,
    FEATURE_VECTOR,
    STEER_COMPLETION,
    STEER_CHAT,
    GRAPH_GENERATE,
    GRAPH_FORWARD_PASS,
    GRAPH_STEER,
    GRAPH_PARSE_CHAT_PROMPT,
    EMBED_QUERY,
    EMBED_EXPLANATIONS,
    IMPORT_JOB,
    AUTOINTERP_EXPLAIN,
    AUTOINTERP_SCORE,
    AUTOINTERP_V1_EXPLAIN_DEFAULT,
    AUTOINTERP_V1_SCORE_FUZZ_DETECTION,
    AUTOINTERP_V1_SCORE_EMBEDDING,
    AUTOINTERP_BATCH,
    UMAP_LAYOUT,
)
