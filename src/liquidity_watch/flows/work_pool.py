"""Create the process work pool if it does not exist (used by ops/deploy.sh).

Through the Python client with the process worker's bundled job template, so it makes no
network lookup (``prefect work-pool create`` asks the collections registry online).
"""

from __future__ import annotations

import asyncio
import sys


async def ensure_work_pool(name: str) -> bool:
    """Return True if the pool was created, False if it already existed."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.workers.process import ProcessWorker

    async with get_client() as client:
        try:
            await client.create_work_pool(
                WorkPoolCreate(
                    name=name, type="process", base_job_template=ProcessWorker.get_default_base_job_template()
                )
            )
        except ObjectAlreadyExists:
            return False
    return True


if __name__ == "__main__":
    pool = sys.argv[1] if len(sys.argv) > 1 else "liquidity-watch"
    created = asyncio.run(ensure_work_pool(pool))
    print(f"work pool {pool!r} {'created' if created else 'already exists'}")
