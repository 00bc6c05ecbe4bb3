"""Proof that the OCPP 2.0.1 peer CSMS (csms201.py) works without the Swift engine: a scripted
charging station (station201.py, on ocpp.v201.ChargePoint) boots, charges, answers every probe
of --exercise correctly, and then breaks the rules on purpose; the peer's summary must show
nothing in the first case and each breach in the others. Plus the ledger's rules alone, and a
smoke run of the 1.6 peer, which shares peercore.py.

    .venv/bin/python -m pytest Tests/peer -q
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import websockets
from ocpp.v16 import ChargePoint as V16ChargePoint
from ocpp.v16 import call as call16
from ocpp.v201 import call

from ledger201 import TransactionLedger, offline_problem
from station201 import StationModel, basic_auth, iso, run_station

HERE = Path(__file__).resolve().parent


class Peer:
    """A peer CSMS as a child process on an ephemeral loopback port, as the Swift tests run it."""

    def __init__(self, tmp_path, *args, script="csms201.py"):
        self.summary_path = tmp_path / "summary.json"
        self.log_path = tmp_path / "peer.log"
        port_file = tmp_path / "port"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / script), "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file),
             "--summary", str(self.summary_path), "--log-level", "info", *args],
            stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            if port_file.exists() and port_file.read_text().strip():
                self.port = int(port_file.read_text())
                return
            assert self.proc.poll() is None, self.log_path.read_text()
            time.sleep(0.05)
        raise AssertionError("the peer did not start")

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/ocpp"

    def snapshot(self):
        """SIGUSR1: the summary as of now."""
        before = self.summary_path.stat().st_mtime_ns if self.summary_path.exists() else 0
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.time() + 5
        while time.time() < deadline:
            if self.summary_path.exists() and self.summary_path.stat().st_mtime_ns != before:
                return json.loads(self.summary_path.read_text())
            time.sleep(0.02)
        raise AssertionError("no summary after SIGUSR1")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(15) == 0, self.log_path.read_text()
        self.log.close()
        return json.loads(self.summary_path.read_text())


@pytest.fixture
def peer_factory(tmp_path):
    peers = []

    def make(*args, script="csms201.py"):
        directory = tmp_path / f"peer{len(peers)}"
        directory.mkdir()
        peers.append(Peer(directory, *args, script=script))
        return peers[-1]

    yield make
    for p in peers:
        if p.proc.poll() is None:
            p.proc.kill()


async def drive(peer, script=None, faults=(), until=None, timeout=60.0, cp_id="CP201", headers=None):
    """Runs a station against the peer until `script(model)` returns, or `until(summary)` holds."""
    model = StationModel(cp_id, faults)
    done = asyncio.Event()
    failures = []

    async def wrapped(m):
        try:
            if script is not None:
                await script(m)
        except Exception as e:  # a broken script fails the test now, not at the timeout
            failures.append(e)
            done.set()
            raise
        if until is None:
            done.set()

    runner = asyncio.ensure_future(run_station(peer.url, model, wrapped, headers=headers))
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        while True:
            if done.is_set():
                break
            if until is not None and until(await asyncio.to_thread(peer.snapshot)):
                break
            assert asyncio.get_running_loop().time() < deadline, "timed out"
            await asyncio.sleep(0.3)
    finally:
        model.stopped = True
        runner.cancel()
        try:
            await runner  # leaves the connection with a close handshake
        except asyncio.CancelledError:
            pass
    if failures:
        raise failures[0]
    return model


def codes(summary):
    return sorted({v["code"] for v in summary["violations"]})


def assert_clean(summary):
    assert summary["violations"] == [] and summary["violationCount"] == 0
    assert summary["csmsErrors"] == []
    assert summary["callErrorCount"] == 0, summary["callErrorsFromChargePoints"]
    assert summary["exerciseMismatches"] == [], summary["exerciseMismatches"]


# --------------------------------------------------------------------------- a clean charging session


async def charge(model):
    st = model.station
    await st.call(call.Authorize(id_token={"id_token": "AABBCCDD", "type": "ISO14443"}))
    tx = await st.start_transaction()
    for _ in range(3):
        await st.emit("Updated", "MeterValuePeriodic", tx, meter_value=st.meter(tx))
    await st.call(call.MeterValues(evse_id=0, meter_value=[{"timestamp": iso(), "sampled_value": [{"value": 5.0}]}]))
    await st.call(call.Heartbeat())
    await st.end_transaction()


def test_a_correct_session_leaves_no_violation_and_no_open_transaction(peer_factory):
    peer = peer_factory()
    asyncio.run(drive(peer, charge))
    summary = peer.stop()
    assert_clean(summary)
    tx = summary["transactions"]
    assert (tx["started"], tx["ended"], tx["stopped"], tx["open"]) == (1, 1, 1, [])
    assert tx["events"] == 5 and tx["meterValues"] == 5
    assert summary["bootAccepted"] == 1
    assert summary["actions"]["TransactionEvent"] == 5
    assert summary["authorizations"] == {"Accepted": 2}  # Authorize, and the idToken in Started
    assert summary["perChargePoint"]["CP201"]["connectorStatus"] == {"1/1": "Available"}


def test_a_transaction_left_open_is_listed_with_its_id(peer_factory):
    peer = peer_factory()
    holder = {}

    async def start_only(model):
        holder["tx"] = await model.station.start_transaction()

    asyncio.run(drive(peer, start_only))
    summary = peer.stop()
    assert [t["id"] for t in summary["transactions"]["open"]] == [holder["tx"].id]
    assert summary["violationCount"] == 0


# --------------------------------------------------------------------------- transaction rules broken


def _event(kind, seq, tx_id, trigger="MeterValuePeriodic", **extra):
    payload = {"event_type": kind, "timestamp": iso(), "trigger_reason": trigger, "seq_no": seq,
               "transaction_info": {"transaction_id": tx_id}}
    payload.update(extra)
    return payload


BREACHES = {
    # charge point id: (events as (eventType, seqNo, transactionId[, extra fields]), the violations)
    "GAP": ([("Started", 0, "T1"), ("Updated", 1, "T1"), ("Updated", 3, "T1"), ("Ended", 4, "T1")], ["SeqNoGap"]),
    "BACK": ([("Started", 0, "T1"), ("Updated", 2, "T1"), ("Updated", 1, "T1"), ("Ended", 3, "T1")],
             ["SeqNoNotIncreasing"]),
    "TWICE": ([("Started", 0, "T1"), ("Started", 1, "T1"), ("Ended", 2, "T1")], ["DuplicateStarted"]),
    "UNKNOWN": ([("Ended", 0, "NEVER-STARTED")], ["UnknownTransaction"]),
    "AFTER": ([("Started", 0, "T1"), ("Ended", 1, "T1"), ("Updated", 2, "T1")], ["EventAfterEnded"]),
    "REUSED": ([("Started", 0, "T1"), ("Updated", 1, "T1"), ("Updated", 1, "T1", {"trigger_reason": "Trigger"}),
                ("Ended", 2, "T1")], ["SeqNoReused"]),
    "EVSE": ([("Started", 0, "T1", {"evse": {"id": 1}}), ("Started", 0, "T2", {"evse": {"id": 1}}),
              ("Ended", 1, "T1"), ("Ended", 1, "T2")], ["EvseBusy"]),
    "TOKEN": ([("Started", 0, "T1", {"id_token": {"id_token": "NOT-HEX", "type": "ISO14443"}}),
               ("Ended", 1, "T1")], ["InvalidIdToken"]),
}


def test_transaction_rule_breaches_are_violations_with_samples(peer_factory):
    peer = peer_factory()

    async def run_all():
        for cp_id, (events, _) in BREACHES.items():
            async def send(model, events=events):
                for kind, seq, tx_id, *extra in events:
                    await model.station.call(call.TransactionEvent(**_event(kind, seq, tx_id,
                                                                            **(extra[0] if extra else {}))))
            await drive(peer, send, cp_id=cp_id)

    asyncio.run(run_all())
    summary = peer.stop()
    for cp_id, (_, expected) in BREACHES.items():
        samples = [v for v in summary["violations"] if v["cp"] == cp_id]
        assert sorted({v["code"] for v in samples}) == expected, (cp_id, samples)
        assert all(v["action"] == "TransactionEvent" and v["detail"] for v in samples)
        assert summary["perChargePoint"][cp_id]["violations"] == len(samples)


def test_an_identical_repeat_is_a_counted_duplicate_not_a_violation(peer_factory):
    peer = peer_factory()
    started = _event("Started", 0, "T1", trigger="Authorized")

    async def send(model):
        for payload in (started, started, _event("Ended", 1, "T1")):
            await model.station.call(call.TransactionEvent(**payload))

    asyncio.run(drive(peer, send))
    summary = peer.stop()
    assert summary["violationCount"] == 0
    assert summary["transactions"]["duplicateEvents"] == 1 and summary["transactions"]["ended"] == 1


def test_offline_flag_on_an_event_while_connected_is_implausible(peer_factory):
    peer = peer_factory("--offline-tolerance", "0.3")

    async def send(model):
        await asyncio.sleep(0.8)
        await model.station.call(call.TransactionEvent(**_event("Started", 0, "T1", offline=True)))
        await model.station.call(call.TransactionEvent(**_event("Ended", 1, "T1")))

    asyncio.run(drive(peer, send))
    assert codes(peer.stop()) == ["OfflineFlagImplausible"]


def test_an_outage_queues_events_offline_and_delivers_them_after_the_reconnect(peer_factory):
    peer = peer_factory("--outage-every", "2", "--outage-length", "1", "--outage-count", "1", "--outage-hold", "0",
                        "--outage-hold-meter-values", "0", "--outage-refuse", "503", "--offline-tolerance", "0.5")

    async def across_outage(model):
        tx = await model.station.start_transaction()
        while model.online:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        st = model.station
        await st.emit("Updated", "MeterValuePeriodic", tx, meter_value=st.meter(tx))
        await st.end_transaction()
        while model.queue or not model.online:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)

    asyncio.run(drive(peer, across_outage))
    summary = peer.stop()
    assert summary["violationCount"] == 0, summary["violations"]
    tx = summary["transactions"]
    assert (tx["started"], tx["ended"], tx["offlineEvents"], tx["open"]) == (1, 1, 2, [])
    window = summary["outageWindows"][0]
    assert summary["outages"] == 1 and window["reconnected"] == 1 and window["refusal"] == "503"
    assert window["aborted"] + window["closedWithFrame"] == window["dropped"] == 1


def test_a_pending_boot_is_retried_after_its_interval_and_not_sooner(peer_factory):
    peer = peer_factory("--boot-status", "Pending", "--boot-retry-interval", "1")

    async def both():
        await drive(peer, charge, cp_id="PATIENT")
        await drive(peer, cp_id="HASTY", faults={"boot-retry-early"})

    asyncio.run(both())
    summary = peer.stop()
    assert summary["perChargePoint"]["PATIENT"]["boots"] == 2 and summary["perChargePoint"]["PATIENT"]["violations"] == 0
    assert [(v["cp"], v["code"]) for v in summary["violations"]] == [("HASTY", "BootRetryTooSoon")]
    assert summary["transactions"]["ended"] == 1


# --------------------------------------------------------------------------- handshake


def test_a_handshake_without_subprotocol_ocpp201_is_refused_with_http_400(peer_factory):
    peer = peer_factory()

    async def attempt(subprotocols):
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            async with websockets.connect(f"{peer.url}/CP1", subprotocols=subprotocols):
                pass
        return refused.value.response.status_code

    assert asyncio.run(attempt(["ocpp1.6"])) == 400
    assert asyncio.run(attempt(None)) == 400
    assert peer.stop()["rejectedHandshakes"] == 2


def test_basic_auth_refuses_a_wrong_password_with_401_and_accepts_the_right_one(peer_factory):
    peer = peer_factory("--basic-auth-password", "s3cret-password-0123")

    async def wrong():
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            async with websockets.connect(f"{peer.url}/CP201", subprotocols=["ocpp2.0.1"],
                                          additional_headers=basic_auth("CP201", "wrong")):
                pass
        return refused.value.response.status_code

    assert asyncio.run(wrong()) == 401
    asyncio.run(drive(peer, charge, headers=basic_auth("CP201", "s3cret-password-0123")))
    summary = peer.stop()
    assert summary["authenticationFailures"] == 1 and summary["bootAccepted"] == 1
    assert_clean(summary)


# --------------------------------------------------------------------------- the exercise


EXERCISE = ("--exercise", "--exercise-pace", "0", "--exercise-timeout", "4", "--call-timeout", "4")


def test_a_correct_station_passes_every_probe_of_the_exercise_idle_or_charging(peer_factory):
    """Two stations at once: one idle, one charging until a Reset OnIdle waits for it (then the
    probes that depend on a running transaction take their other branch)."""
    peer = peer_factory(*EXERCISE)

    async def charge_until_reset(model):
        tx = await model.station.start_transaction()
        while not model.reset_scheduled:
            await asyncio.sleep(0.1)
            if model.station is not None and model.tx is tx:
                await model.station.emit("Updated", "MeterValuePeriodic", tx, meter_value=model.station.meter(tx))
        await asyncio.sleep(0.3)
        await model.station.end_transaction()

    def both_done(summary):
        return summary["exerciseDone"] == 2

    async def both():
        return await asyncio.gather(drive(peer, until=both_done, timeout=90),
                                    drive(peer, charge_until_reset, cp_id="BUSY", until=both_done, timeout=90))

    idle, busy = asyncio.run(both())
    summary = peer.stop()
    assert_clean(summary)
    assert summary["exerciseNotes"] == []
    exercised = summary["exercised"]
    for action in ("GetVariables", "SetVariables", "GetBaseReport", "GetReport", "SetVariableMonitoring",
                   "RequestStartTransaction", "RequestStopTransaction", "TriggerMessage", "UnlockConnector",
                   "ChangeAvailability", "Reset", "ClearCache", "SendLocalList", "GetLocalListVersion", "ReserveNow",
                   "CancelReservation", "SetChargingProfile", "GetChargingProfiles", "GetCompositeSchedule",
                   "ClearChargingProfile", "UpdateFirmware", "GetLog", "CustomerInformation", "GetTransactionStatus",
                   "DataTransfer", "SetDisplayMessage", "CostUpdated", "PeerUnknownAction", "CertificateSigned"):
        assert exercised.get(action, 0) > 0, action
    assert summary["reports"]["incomplete"] == [] and summary["reports"]["complete"] >= 10
    for cp_id, model in (("CP201", idle), ("BUSY", busy)):
        assert summary["perChargePoint"][cp_id]["bootReasons"] == ["PowerUp", "FirmwareUpdate", "RemoteReset",
                                                                  "RemoteReset"], cp_id
        assert model.boots == 4
    tx = summary["transactions"]
    assert (tx["started"], tx["ended"], tx["open"]) == (2, 2, [])
    reasons = {t["cp"]: t["stoppedReason"] for t in tx["perTransaction"]}
    assert reasons == {"CP201": "Remote", "BUSY": "Local"}
    assert summary["notifications"].get("TransactionEvent:Updated", 0) > 0


def test_wrong_probe_answers_are_mismatches_with_step_expected_and_got(peer_factory):
    keep = {"GetVariables", "Unsupported", "TriggerMessage", "Reservation", "RemoteTransaction", "ResetOnIdle",
            "ResetOnIdleWait"}
    faults = {"get-unknown-component", "unsupported-not-implemented", "trigger-boot", "no-reserved-status",
              "ended-not-remote", "reset-reason"}
    from exercise201 import STEP_NAMES
    peer = peer_factory("--exercise", "--exercise-pace", "0", "--exercise-timeout", "1.5",
                        "--exercise-skip", ",".join(n for n in STEP_NAMES if n not in keep))
    asyncio.run(drive(peer, faults=faults, until=lambda s: s["exerciseDone"] == 1))
    summary = peer.stop()
    found = {(m["cp"], m["step"], m["action"], m["expected"], m["got"]) for m in summary["exerciseMismatches"]}
    assert found == {
        ("CP201", "GetVariables", "GetVariables", "UnknownComponent (unknown component)",
         "UnknownVariable (unknown component)"),
        ("CP201", "Unsupported", "SetDisplayMessage", "NotSupported", "NotImplemented"),
        ("CP201", "Unsupported", "CostUpdated", "NotSupported", "NotImplemented"),
        ("CP201", "TriggerMessage", "TriggerMessage", "Rejected (BootNotification)", "Accepted (BootNotification)"),
        ("CP201", "Reservation", "ReserveNow", "StatusNotification Reserved for EVSE 1 connector 1", "none"),
        ("CP201", "RemoteTransaction", "TransactionEvent", "Remote", "Local"),
        ("CP201", "ResetOnIdleWait", "BootNotification", "RemoteReset", "PowerUp"),
    }, summary["exerciseMismatches"]
    assert summary["exerciseMismatchCount"] == 7


# --------------------------------------------------------------------------- the ledger alone


def test_a_shared_seqno_counter_hides_no_gap_that_another_transaction_filled():
    ledger = TransactionLedger()

    def record(kind, seq, tx_id):
        return ledger.record("CP", 1, _event(kind, seq, tx_id), time.time(), [(0, None)], 5, 0)[2]

    assert record("Started", 5, "A") == []
    assert record("Started", 6, "B") == []
    assert record("Updated", 7, "A") == []
    assert record("Ended", 8, "A") == []
    # a per-transaction counter (Started at 0) gets no such help
    per_tx = TransactionLedger()
    per_tx.record("CP2", 1, _event("Started", 0, "C"), time.time(), [(0, None)], 5, 0)
    problems = per_tx.record("CP2", 1, _event("Ended", 2, "C"), time.time(), [(0, None)], 5, 0)[2]
    assert [code for code, _ in problems] == ["SeqNoGap"]


@pytest.mark.parametrize("offline, when, intervals, expected", [
    (True, 50.0, [(10.0, 90.0)], "OfflineFlagImplausible"),
    (True, 95.0, [(10.0, 90.0)], None),
    (False, 97.0, [(10.0, 90.0)], "OfflineFlagMissing"),
    (False, 92.0, [(10.0, 90.0)], None),  # within the tolerance of the drop
    (False, 50.0, [(10.0, None)], None),
    (True, 200.0, [(10.0, 90.0)], "clock"),  # ahead of the arrival: a time-scaled clock
])
def test_the_offline_flag_is_judged_against_the_connections(offline, when, intervals, expected):
    judged = offline_problem(offline, when, 100.0, intervals, 5.0, 0.0)
    assert (judged if judged in (None, "clock") else judged[0]) == expected


# --------------------------------------------------------------------------- the 1.6 peer still works


def test_the_16_peer_runs_a_clean_transaction(peer_factory):
    peer = peer_factory(script="csms.py")

    async def run16():
        async with websockets.connect(f"{peer.url}/CP16", subprotocols=["ocpp1.6"]) as ws:
            cp = V16ChargePoint("CP16", ws)
            reader = asyncio.ensure_future(cp.start())
            await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            started = await cp.call(call16.StartTransaction(connector_id=1, id_tag="TAG1", meter_start=100,
                                                            timestamp=iso()))
            await cp.call(call16.MeterValues(connector_id=1, transaction_id=started.transaction_id, meter_value=[
                {"timestamp": iso(), "sampled_value": [{"value": "150"}]}]))
            await cp.call(call16.StopTransaction(meter_stop=200, timestamp=iso(),
                                                 transaction_id=started.transaction_id))
            reader.cancel()

    asyncio.run(run16())
    summary = peer.stop()
    assert summary["violationCount"] == 0 and summary["csmsErrors"] == []
    assert (summary["transactions"]["started"], summary["transactions"]["stopped"]) == (1, 1)
    assert summary["transactions"]["open"] == []


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
