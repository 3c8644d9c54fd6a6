#!/usr/bin/env python3
"""`make drill`: a failover drill that measures RTO and RPO from the client
side (the failover_drill package beside this file; standard library only)."""

import sys

from failover_drill.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
