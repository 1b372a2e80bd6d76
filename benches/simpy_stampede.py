#!/usr/bin/env python3
"""The workload of `cachescope bench --stampede none`, modelled in SimPy.

The peer `make bench` compares the simulator with: the same model written
for SimPy, the usual Python discrete-event library. One hot key, prewarmed,
TTL 1000 ms; Poisson reads at RATE a second for DURATION ms; a cache
operation takes 1 ms, a DB read 120 ms; cache-aside with no stampede
protection (a miss reads the DB and fills the cache).

Prints requests, simulated operations (cache and DB operations, as
cachescope counts them), wall seconds and operations a second.
Usage: simpy_stampede.py RATE_PER_S DURATION_MS
"""
import random
import sys
import time

import simpy

RATE = float(sys.argv[1]) if len(sys.argv) > 1 else 100000
DURATION = float(sys.argv[2]) if len(sys.argv) > 2 else 10000
TTL, CACHE, DB_READ = 1000.0, 1.0, 120.0


class World:
    def __init__(self):
        self.entry = ("h", 1, TTL)  # value, version, expires at
        self.ops = 0
        self.db_reads = 0
        self.in_flight = 0
        self.peak = 0


def read(env, world):
    yield env.timeout(CACHE)
    world.ops += 1
    if world.entry is not None and world.entry[2] > env.now:
        return
    world.in_flight += 1
    world.peak = max(world.peak, world.in_flight)
    yield env.timeout(DB_READ)
    world.ops += 1
    world.db_reads += 1
    world.in_flight -= 1
    yield env.timeout(CACHE)
    world.ops += 1
    world.entry = ("h", 1, env.now + TTL)


def arrivals(env, world, rng, count):
    while True:
        yield env.timeout(rng.expovariate(RATE / 1000.0))
        if env.now >= DURATION:
            return
        count[0] += 1
        env.process(read(env, world))


rng = random.Random(1)
env = simpy.Environment()
world = World()
requests = [0]
env.process(arrivals(env, world, rng, requests))
started = time.perf_counter()
env.run()
wall = time.perf_counter() - started
print(
    f"requests={requests[0]} ops={world.ops} db_reads={world.db_reads} "
    f"peak={world.peak} wall_s={wall:.3f} ops_per_s={world.ops / wall:.0f}"
)
