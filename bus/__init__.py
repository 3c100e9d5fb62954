"""The bus: how web processes reach workers, with no torch and no Django app imported.

- `client`: send a task by name, or call one and wait for its answer (`replies`) or stream
  its frames, sending it again when the worker that took it (`claims`) dies.
- `registry`: which workers are alive and what they serve; `routing`: which one serves a model.
- `frames`: streamed partial results (pub/sub); `wire`: the packed search answer.
- `task_names`: the name of every task the web side sends.
- `connections`: the Celery app and Redis connection the process hands the bus at start.
"""
