"""Verifying a claimed result by re-running the student's model on the evaluation data.

One module per topic:
- `verifier`  `ClaimVerifier`: data, sandbox, warm pool, and the verdict of one claim;
- `inputs`    the session's evaluation data: splits, input files, controls' copies, zeros;
- `runs`      the request and the conversation with a sandboxed child (tokens batch by batch);
- `controls`  memorisation controls (pixel noise, shuffled lines) and how they are judged;
- `judging`   status and score from the numbers; accuracy and perplexity;
- `integrity` the rows a re-run adds (sandbox bounds, parameters, checkpoint, causal mask);
- `params`    the re-run model's parameter count against the log's and the student's answer;
- `spec`      the submission's [claims."ID"] table, read defensively.

Statuses (DESIGN.md): `verified` when the measured number is within the claim's tolerance of the
claimed `value` (accuracy: percentage points; perplexity: relative) and every memorisation
control passes; `refuted` otherwise (the detail names a failed control); `unverifiable` when
there is nothing to re-run (no code / checkpoint named, a named file absent) or the dataset is
not under the data root (the detail names the path looked for); `error` when the submission's
code or checkpoint fails (crash, timeout, attack, keys that do not fit). Without a claimed
`value`, the claim is verified iff the measurement meets the `target`.

Scoring: full points when verified and the measurement meets `target` (or there is none);
verified below target earns `points · measured/target` (accuracy) or `points · target/measured`
(perplexity, lower is better); refuted, error and unverifiable earn 0.

Extra keys of the assignment's [[claim]] table (`claim.options`):
    scoring          "proportional" (default, as above) | "all-or-nothing" (0 below target)
    tokenizer        "word" (default) | "char"            (language models)
    layout           "seq-first" (default) | "batch-first"
    bptt             35 (default);  eval_batch_size  10 (default)
    vocab            a vocabulary file in the submission (the submission's `vocab` key wins)
    normalize        { mean = [...], std = [...] } used when the submission gives none
    batch_size       images per forward pass (default 500 on CPU, 1000 on CUDA)
    memory_mb        address-space limit of the re-run (default 8192; none on CUDA)
    allow_tf32       false (default): strict fp32 on CUDA; TF32 can flip near-tie predictions
    controls         true (default): run the memorisation control (one more pass)
    summary          a `model.summary` question whose answer the parameter count is checked against
"""
from grader.claims.judging import judge
from grader.claims.verifier import ClaimVerifier, WarmStats, resolve_device

__all__ = ["ClaimVerifier", "WarmStats", "judge", "resolve_device"]
