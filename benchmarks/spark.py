"""Throughput of engine.spark.decide with 1 and 2 executor cores (PySpark local mode, loopback only).

    python benchmarks/spark.py [--rows 1000000]

Generates the same million-seller table as tests/test_spark.py inside Spark, applies csba.fee,
and times a full pass that writes nothing (`count` of the rows with problems, so every row is
answered), against the same pass with an identity mapInArrow (Spark's own Arrow round trip, the
floor). Each is run twice; the second (warm JVM and workers) is reported.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = str(ROOT)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    import engine
    from engine.bundle.make import make
    from engine.spark import decide

    bundle = os.path.join(tempfile.mkdtemp(prefix="policyctl-spark-"), "policies.bundle")
    Path(bundle).write_bytes(make(engine.load(str(ROOT / "policies"))))
    for cores in (1, 2):
        spark = (
            SparkSession.builder.master(f"local[{cores}]")
            .appName("policyctl-bench")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        df = (
            spark.range(args.rows)
            .repartition(4)
            .select(
                F.concat(F.lit("S"), F.col("id").cast("string")).alias("seller"),
                ((F.col("id") * 7919) % 30000).cast("long").alias("units"),
                ((F.col("id") * 31) % 700).cast("long").alias("contacts"),
                (F.col("id") % 10 == 0).alias("in_trial"),
            )
            .cache()
        )
        df.count()
        for name, frame in (
            ("identity mapInArrow", df.mapInArrow(lambda it: it, df.schema)),
            ("csba.fee", decide(df, bundle, "csba", "fee", "us", at="2024-06-01")),
        ):
            seconds = []
            for _ in range(2):
                start = time.perf_counter()
                frame.where(
                    F.col("seller").isNull() if name.startswith("identity") else F.col("problems").isNotNull()
                ).count()
                seconds.append(time.perf_counter() - start)
            print(
                f"local[{cores}]  {name:<20} {args.rows / seconds[-1]:>10,.0f} rows/s  ({seconds[-1]:.2f} s; first pass {seconds[0]:.2f} s)",
                flush=True,
            )
        spark.stop()


if __name__ == "__main__":
    main()
