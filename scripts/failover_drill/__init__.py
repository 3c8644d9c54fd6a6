"""`make drill`: a failover drill that measures RTO and RPO from the client side.

Sends a steady, bounded stream of `POST /storeEpochTime` (each with its own
`Idempotency-Key`) and `GET /health` through URL, fails REGION, keeps sending
until no request sent during one full detection window has reached REGION,
recovers REGION, waits until it serves again, then stops. From what it
observed (the region that served each response, status codes, timestamps)
it reports:

- RTO: failure (the fail command returned) -> the last response served by REGION;
- failed requests (non-2xx or transport errors) during the whole drill;
- recovery: the recover command returned -> the first response served by REGION again;
- RPO: records REGION acknowledged before the failure that the surviving
  regions did not list at that moment, and the time until they all did;
- lost: records REGION acknowledged that a surviving region never listed
  within --lost-after seconds.

Against the local emulation (`make run`), REGION is failed and recovered
through its control endpoint and everything else is read from
`GET /_local/regions`. Against a deployment, the fail and recover commands
are the failover switch, `make failover` / `make recover`, and the URLs come
from its Terraform outputs (`make outputs`, --terraform-outputs; a deployment
without a global URL, so without Route53 health checks, is refused) or
--region-url. Python 3 standard library only.

Modules, one concern each: httpclient (one request; the tests use it too),
targets (what the drill runs against), traffic, replication (RPO), drill (the
phases), report, cli. Run as `python3 scripts/drill.py …`, or
`python3 -m failover_drill …` from scripts/.
"""

import os

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class DrillError(Exception):
    """The drill could not complete; the message says why."""
