#!/usr/bin/env python3
"""The Python baseline fleet: what a user would write instead of ocpp-fleet.

N OCPP 1.6J charge points on the PyPI ``ocpp`` package (which validates every payload against
the official JSON schemas, both directions) over ``websockets``, one asyncio task set per charge
point, on asyncio's default loop or on uvloop (``--loop uvloop``). The session mix is that of
``benchmarks/fleets/bench.yaml`` (the smoke fleet's ``quick`` behaviour without the CSMS's own
scenario), seeded per charge point:

* BootNotification, then StatusNotification Available for connector 0 and each connector;
* Heartbeat every interval the BootNotification.conf gives;
* per connector, over and over: idle 5-20 s, plug in (StatusNotification Preparing), 1-3 s,
  Authorize, StartTransaction, StatusNotification Charging, MeterValues every 10 s
  (Energy.Active.Import.Register and Power.Active.Import, Sample.Periodic) for 15-30 s,
  StopTransaction, StatusNotification Finishing, 1-3 s, StatusNotification Available.

    fleet.py --url ws://127.0.0.1:9000/ocpp --charge-points 1000 --duration 60 [--loop uvloop]

Stops by itself after --duration seconds (exiting without closing its WebSockets) and prints one JSON object on stdout: its own CPU
(user + system, ``getrusage``), calls sent and completed, boots, RSS before the first connection
and at the end, the time from the first BootNotification sent to the last one accepted, and a
per-second series (Unix-second buckets, like ocpp-fleet's report) that ``benchmarks/fleet-bench``
uses to count the calls of the steady window it measures from outside.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import resource
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone

import websockets
from ocpp.v16 import ChargePoint as OcppChargePoint
from ocpp.v16 import call
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus, RegistrationStatus

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def peak_rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Counters:
    """What the fleet did, in total and per Unix second."""

    def __init__(self) -> None:
        self.sent = 0
        self.completed = 0
        self.failed = 0
        self.boots = 0
        self.connected = 0
        self.peak_connected = 0
        self.first_connect: float | None = None
        self.first_boot_sent: float | None = None
        self.last_boot: float | None = None
        self.series: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def bucket(self) -> dict[str, int]:
        return self.series[int(time.time())]

    def boot_sent(self) -> None:
        if self.first_boot_sent is None:
            self.first_boot_sent = time.time()

    def opened(self) -> None:
        self.connected += 1
        self.peak_connected = max(self.peak_connected, self.connected)

    def closed(self) -> None:
        self.connected -= 1


class SimulatedChargePoint(OcppChargePoint):
    """One charge point: the ``ocpp`` library's ChargePoint plus its behaviour."""

    def __init__(self, cp_id: str, connection, counters: Counters, rng: random.Random, connectors: int) -> None:
        super().__init__(cp_id, connection, response_timeout=30)
        self.counters = counters
        self.rng = rng
        self.connectors = connectors
        self.heartbeat_interval = 30
        self.energy_wh = [0] * (connectors + 1)
        self.id_tag = f"BENCH-TAG-{cp_id[-5:]}"

    async def send(self, payload):
        """One CALL through the library (schema-checked, one in flight), counted."""
        self.counters.sent += 1
        self.counters.bucket()["sent"] += 1
        try:
            result = await self.call(payload)
        except Exception:
            self.counters.failed += 1
            raise
        self.counters.completed += 1
        self.counters.bucket()["completed"] += 1
        return result

    async def status(self, connector: int, status: ChargePointStatus) -> None:
        await self.send(call.StatusNotification(connector_id=connector, error_code=ChargePointErrorCode.no_error,
                                                status=status, timestamp=now_iso()))

    async def boot(self) -> None:
        while True:
            self.counters.boot_sent()
            result = await self.send(call.BootNotification(charge_point_model="Bench-2", charge_point_vendor="ocpp-fleet",
                                                           firmware_version="1.0.0"))
            if result.status == RegistrationStatus.accepted:
                break
            await asyncio.sleep(max(1, result.interval))
        if result.interval > 0:
            self.heartbeat_interval = result.interval
        self.counters.boots += 1
        self.counters.bucket()["bootAccepted"] += 1
        self.counters.last_boot = time.time()
        for connector in range(self.connectors + 1):
            await self.status(connector, ChargePointStatus.available)

    async def heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            await self.send(call.Heartbeat())

    def meter_value(self, connector: int, power_w: int) -> list:
        return [{"timestamp": now_iso(), "sampledValue": [
            {"value": str(self.energy_wh[connector]), "context": "Sample.Periodic",
             "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": str(power_w), "context": "Sample.Periodic", "measurand": "Power.Active.Import", "unit": "W"},
        ]}]

    async def sessions(self, connector: int) -> None:
        rng = self.rng
        while True:
            await asyncio.sleep(rng.uniform(5, 20))
            await self.status(connector, ChargePointStatus.preparing)
            await asyncio.sleep(rng.uniform(1, 3))
            await self.send(call.Authorize(id_tag=self.id_tag))
            started = await self.send(call.StartTransaction(connector_id=connector, id_tag=self.id_tag,
                                                            meter_start=self.energy_wh[connector], timestamp=now_iso()))
            transaction = started.transaction_id
            await self.status(connector, ChargePointStatus.charging)
            power_w = int(rng.uniform(7, 22) * 1000)
            charge_for = rng.uniform(15, 30)
            begin = time.monotonic()
            while True:
                left = charge_for - (time.monotonic() - begin)
                if left <= 0:
                    break
                step = min(10.0, left)
                await asyncio.sleep(step)
                self.energy_wh[connector] += int(power_w * step / 3600)
                if step == 10.0:
                    await self.send(call.MeterValues(connector_id=connector, transaction_id=transaction,
                                                     meter_value=self.meter_value(connector, power_w)))
            await self.send(call.StopTransaction(meter_stop=self.energy_wh[connector], timestamp=now_iso(),
                                                 transaction_id=transaction, reason="Local", id_tag=self.id_tag))
            await self.status(connector, ChargePointStatus.finishing)
            await asyncio.sleep(rng.uniform(1, 3))
            await self.status(connector, ChargePointStatus.available)


async def run_charge_point(index: int, args, counters: Counters) -> None:
    rng = random.Random((args.seed << 32) ^ index)
    await asyncio.sleep(args.ramp_up * index / max(1, args.charge_points))
    cp_id = f"{args.id_prefix}{index:05d}"
    if counters.first_connect is None:
        counters.first_connect = time.time()
    try:
        connection = await websockets.connect(f"{args.url}/{cp_id}", subprotocols=["ocpp1.6"], ping_interval=None,
                                              compression=None, open_timeout=30)
    except Exception as error:  # noqa: BLE001 - a failed connection is counted, not fatal
        counters.bucket()["connectFailures"] += 1
        logging.debug("%s: cannot connect: %s", cp_id, error)
        return
    counters.opened()
    cp = SimulatedChargePoint(cp_id, connection, counters, rng, args.connectors)
    tasks = [asyncio.create_task(cp.start())]
    try:
        await cp.boot()
        tasks.append(asyncio.create_task(cp.heartbeats()))
        tasks += [asyncio.create_task(cp.sessions(c)) for c in range(1, args.connectors + 1)]
        await asyncio.gather(*tasks)
    except asyncio.CancelledError:
        raise
    except Exception as error:  # noqa: BLE001
        logging.debug("%s: %s", cp_id, error)
    finally:
        for task in tasks:
            task.cancel()
        counters.closed()
        await connection.close()


async def main(args) -> dict:
    counters = Counters()
    baseline_rss = rss_bytes()
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    started = time.time()
    fleet = [asyncio.create_task(run_charge_point(i + 1, args, counters)) for i in range(args.charge_points)]
    await asyncio.sleep(args.duration)
    end_rss = rss_bytes()
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_end.ru_utime - cpu_start.ru_utime) + (cpu_end.ru_stime - cpu_start.ru_stime)
    handled = counters.sent
    return {
        "tool": "python-ocpp",
        "loop": args.loop,
        "chargePoints": args.charge_points,
        "startedAt": started,
        "durationSeconds": time.time() - started,
        "cpuSeconds": cpu,
        "callsSent": counters.sent,
        "callsCompleted": counters.completed,
        "callsFailed": counters.failed,
        "cpuMicrosPerCall": cpu * 1e6 / handled if handled else None,
        "bootAccepted": counters.boots,
        "peakConnected": counters.peak_connected,
        "bootRampSeconds": (counters.last_boot - counters.first_boot_sent) if counters.last_boot else None,
        # TCP + WebSocket handshake + BootNotification: from the first connection attempt.
        "bootRampFromConnectSeconds": (counters.last_boot - counters.first_connect) if counters.last_boot else None,
        "baselineRSSBytes": baseline_rss,
        "endRSSBytes": end_rss,
        "peakRSSBytes": peak_rss_bytes(),
        "timeSeries": {"intervalSeconds": 1,
                       "points": [{"time": t, **values} for t, values in sorted(counters.series.items())]},
    }


def parse_arguments(argv: list[str]):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="CSMS URL; each charge point appends /<id>")
    parser.add_argument("--charge-points", type=int, default=100)
    parser.add_argument("--connectors", type=int, default=2)
    parser.add_argument("--duration", type=float, default=60, help="seconds, then it stops by itself")
    parser.add_argument("--ramp-up", type=float, default=5, help="seconds over which the charge points connect")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--id-prefix", default="PYBENCH-")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_arguments(sys.argv[1:])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("ocpp").setLevel(logging.CRITICAL)
    logging.getLogger("websockets").setLevel(logging.CRITICAL)
    resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE)[1:] * 2)
    run = asyncio.run
    if arguments.loop == "uvloop":
        import uvloop
        run = uvloop.run

    async def measure_and_exit():
        # The figures are taken when the duration ends; then the process exits at once, without
        # closing thousands of WebSockets one by one (the CSMS sees the connections drop).
        report = await main(arguments)
        json.dump(report, sys.stdout)
        sys.stdout.write("\n")
        sys.stdout.flush()
        os._exit(0)

    run(measure_and_exit())
