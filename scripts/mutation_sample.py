"""Keep a reproducible random sample of a cosmic-ray session's pending mutants.

`python scripts/mutation_sample.py SESSION N [SEED]` marks every pending mutant but N as
skipped. The sample is drawn from the mutants sorted by position and operator, so the same
code and seed always give the same sample (cosmic-ray's job ids are random).
"""

from __future__ import annotations

import random
import sys

from cosmic_ray.work_db import use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult


def main(session: str, size: int, seed: int = 0) -> None:
    with use_db(session) as db:
        items = sorted(
            db.pending_work_items,
            key=lambda item: [(m.start_pos, m.operator_name, m.occurrence) for m in item.mutations],
        )
        keep = {item.job_id for item in random.Random(seed).sample(items, min(size, len(items)))}
        for item in items:
            if item.job_id not in keep:
                db.set_result(
                    item.job_id,
                    WorkResult(output="Not sampled", worker_outcome=WorkerOutcome.SKIPPED),
                )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0)
