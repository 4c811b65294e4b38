"""A generic cached, resumable stage engine: chained config hashes, locked run folders, resume.

`stages`: the cached stages and their chain; `runs`: `claim`, which checks, locks and records a
run folder; `lock`: the one-run-per-folder lock and the clearing of a killed run's temporaries.
"""

from cnn_explain_tf.pipeline.lock import (
    LOCK_FILE,
    RunLock,
    remove_stale_temporaries,
    waiting,
)
from cnn_explain_tf.pipeline.runs import RUN_FILE, Claim, claim, record_fresh_seconds
from cnn_explain_tf.pipeline.stages import (
    STAGE_FILE,
    Stage,
    chain,
    now,
    resolve_preset,
    run_stages,
)

__all__ = ["LOCK_FILE", "RUN_FILE", "STAGE_FILE", "Claim", "RunLock", "Stage", "chain", "claim",
           "now", "record_fresh_seconds", "remove_stale_temporaries",
           "resolve_preset", "run_stages", "waiting"]
