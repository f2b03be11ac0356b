"""The report oracle (test_report_oracle.py) through a Redis Cluster (issue
22): 6 nodes (3 primaries, 3 replicas) from scripts/cluster.sh, shards = 16,
two servers sharing the live traffic, three collectors sharing the shards.
Every aggregate the single-Redis oracle checks is checked the same way, and
every primary holds keys."""

import os
import runpy

os.environ["DP_ORACLE_CLUSTER"] = "1"
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_report_oracle.py"),
               run_name="__main__")
