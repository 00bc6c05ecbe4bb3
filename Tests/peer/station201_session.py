"""Runs the scripted 2.0.1 station (station201.py, on the PyPI `ocpp` library, which checks every
payload in both directions against the official OCPP 2.0.1 JSON schemas) against a CSMS under
test, here the embedded CSMS of ocpp-fleet: it sends every station->CSMS message the embedded
CSMS answers, answers whatever the CSMS sends (its scenario), and writes what it got.

    station201_session.py --url ws://127.0.0.1:PORT/ocpp --id CS-PY --seconds 6 --summary out.json

The summary: `responses` (action -> the answer's status, or "ok" for answers without one),
`errors` (a message the library refused, e.g. a response breaking its schema, or a CALLERROR),
`received` (CSMS->station actions with counts, from the start of the session: calls sent at
boot may come before it), `boots`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging

from ocpp.v201 import call

from station201 import StationModel, iso, run_station

RECEIVED: dict = {}


def record_incoming(model: StationModel):
    """Counts every CALL the CSMS sends, by action, before the station's own handler runs."""
    station = model.station
    original = station._handle_call

    async def counting(msg):
        RECEIVED[msg.action] = RECEIVED.get(msg.action, 0) + 1
        return await original(msg)

    station._handle_call = counting


async def session(model: StationModel, summary: dict):
    station = model.station
    record_incoming(model)

    async def send(name, request):
        try:
            result = await station.call(request, suppress=False)
            summary["responses"][name] = getattr(result, "status", None) or "ok"
            return result
        except Exception as error:  # a schema violation, a CALLERROR or a timeout: all count
            summary["errors"].append(f"{name}: {type(error).__name__}: {error}")
            return None

    await send("Heartbeat", call.Heartbeat())
    accepted = await send("Authorize", call.Authorize(id_token={"id_token": "TAG-PY", "type": "ISO14443"}))
    if accepted is not None:
        summary["responses"]["Authorize"] = accepted.id_token_info["status"]
    blocked = await station.call(call.Authorize(id_token={"id_token": "BLOCKED-PY", "type": "ISO14443"}),
                                 suppress=False)
    summary["responses"]["Authorize BLOCKED-PY"] = blocked.id_token_info["status"]
    tx = await station.start_transaction()
    await station.emit("Updated", "MeterValuePeriodic", tx, meter_value=station.meter(tx))
    await station.end_transaction()
    await send("MeterValues", call.MeterValues(evse_id=1, meter_value=station.meter(tx)))
    await send("NotifyEvent", call.NotifyEvent(generated_at=iso(), seq_no=0, event_data=[{
        "event_id": 1, "timestamp": iso(), "trigger": "Alerting", "actual_value": "1",
        "event_notification_type": "HardWiredNotification", "component": {"name": "EVSE"},
        "variable": {"name": "Power"}}]))
    await send("SecurityEventNotification", call.SecurityEventNotification(type="StartupOfTheDevice",
                                                                           timestamp=iso()))
    await send("FirmwareStatusNotification", call.FirmwareStatusNotification(status="Idle"))
    await send("LogStatusNotification", call.LogStatusNotification(status="Idle"))
    await send("NotifyCustomerInformation", call.NotifyCustomerInformation(
        data="none", seq_no=0, generated_at=iso(), request_id=1))
    await send("NotifyReport", call.NotifyReport(request_id=99, generated_at=iso(), seq_no=0))
    await send("DataTransfer", call.DataTransfer(vendor_id="ocpp-fleet", message_id="ping"))
    await send("DataTransfer acme", call.DataTransfer(vendor_id="acme"))
    await send("SignCertificate", call.SignCertificate(csr="-----BEGIN CERTIFICATE REQUEST-----"))
    summary["sessionDone"] = True


async def main(args):
    logging.disable(logging.CRITICAL)
    model = StationModel(args.id)
    summary = {"responses": {}, "errors": [], "received": RECEIVED, "sessionDone": False}

    async def script(m):
        try:
            await session(m, summary)
        except Exception as error:
            summary["errors"].append(f"session: {type(error).__name__}: {error}")

    runner = asyncio.ensure_future(run_station(args.url, model, script))
    await asyncio.sleep(args.seconds)
    model.stopped = True
    if model.station is not None:
        await model.station._connection.close()
    await asyncio.wait_for(runner, 5)
    summary["boots"] = model.boots
    with open(args.summary, "w") as out:
        json.dump(summary, out, indent=1, sort_keys=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--id", default="CS-PY")
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--summary", required=True)
    asyncio.run(main(parser.parse_args()))
