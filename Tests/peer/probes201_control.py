"""Exercise steps of the OCPP 2.0.1 peer (table STEPS in exercise201.py) that act on the
charging station's EVSEs and life cycle: TriggerMessage, certificates, UnlockConnector,
ChangeAvailability, reservations, smart charging, remote start/stop and GetTransactionStatus,
logs, customer information, firmware update and reset. Each function takes the Exercise
(`ex`); requirement ids (F06.FR.17, ...) are OCPP 2.0.1 part 2 with the edition 2 errata.

A charge point the fleet simulates has EVSE 1 with connector 1; probes that depend on its
state (a transaction there, its last StatusNotification) read it from what the charge point
reported, and accept the answers a charge point in either state may give when a driver could
have changed it a moment before.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import random

from ocpp.v201 import call

from profiles import authority

REMOTE_TOKEN = {"id_token": "PEERREMOTE01", "type": "Central"}
RESERVE_TOKEN = {"id_token": "PEERRESERVE01", "type": "Central"}
CUSTOMER_TOKEN = {"id_token": "PEERCUSTOMER01", "type": "Central"}
NOTICE_WAIT = 5.0  # seconds (at most --exercise-timeout) for a message that follows at once


def _quick(ex) -> float:
    """How long to wait for a message that follows at once (a StatusNotification after a change)."""
    return min(NOTICE_WAIT, ex.opts.exercise_timeout)


def _iso(delta_s: float = 0) -> str:
    when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delta_s)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------- F Remote control


def _evse11(n):
    return n.get("evse_id") == 1 and n.get("connector_id") == 1


# (requestedMessage, evse, statuses, the message that must follow when Accepted, its predicate)
TRIGGERS = (
    ("Heartbeat", None, {"Accepted"}, "Heartbeat", None),
    ("StatusNotification", {"id": 1, "connector_id": 1}, {"Accepted"}, "StatusNotification", _evse11),
    ("StatusNotification", None, {"Rejected"}, None, None),  # F06.FR.12: needs EVSE and connector
    ("StatusNotification", {"id": 99, "connector_id": 1}, {"Rejected"}, None, None),  # no such EVSE
    ("MeterValues", {"id": 1}, {"Accepted", "Rejected"}, "MeterValues", lambda n: n.get("evse_id") == 1),
    # nothing is being updated or uploaded yet: Idle, without requestId (L01.FR.25, N01)
    ("FirmwareStatusNotification", None, {"Accepted"}, "FirmwareStatusNotification",
     lambda n: n.get("status") == "Idle"),
    ("LogStatusNotification", None, {"Accepted"}, "LogStatusNotification", lambda n: n.get("status") == "Idle"),
    ("BootNotification", None, {"Rejected"}, None, None),  # F06.FR.17: already Accepted
    # ISO 15118 certificates and local controllers are out of scope
    ("SignV2GCertificate", None, {"Rejected", "NotImplemented"}, None, None),
    ("SignCombinedCertificate", None, {"Rejected", "NotImplemented"}, None, None),
    ("PublishFirmwareStatusNotification", None, {"Rejected", "NotImplemented"}, None, None),
)


async def _trigger(ex, requested, evse, statuses, follows, predicate):
    args = {"requested_message": requested}
    if evse is not None:
        args["evse"] = evse
    since = ex.mark()
    res = await ex.call(call.TriggerMessage(**args))
    where = "" if evse is None else f" for EVSE {evse['id']}" + (
        f" connector {evse['connector_id']}" if "connector_id" in evse else "")
    what = requested + where
    if res is None or not ex.expect("TriggerMessage", {f"{s} ({what})" for s in statuses}, f"{res.status} ({what})"):
        return
    if res.status != "Accepted" or follows is None:
        return
    found = await ex.await_notice(follows, predicate or (lambda n: True), since=since, timeout=_quick(ex) * 2)
    if found is None:
        ex.miss("TriggerMessage", f"{follows} after TriggerMessage({what})", "none")
    elif found[0] < ex.st.answer_mark:
        ex.miss("TriggerMessage", f"the answer before the triggered {follows} (F06.FR.04)",
                f"{follows} first")


async def trigger_messages(ex):
    for row in TRIGGERS:
        await _trigger(ex, *row)
    # TransactionEvent: Updated with triggerReason Trigger while a transaction runs on EVSE 1
    open_tx = ex.open_on(1)
    if not open_tx:
        await _trigger(ex, "TransactionEvent", {"id": 1}, {"Accepted", "Rejected"}, None, None)
        return
    tx = open_tx[0]
    since = ex.mark()
    res = await ex.call(call.TriggerMessage(requested_message="TransactionEvent", evse={"id": 1}))
    if res is None or (res.status == "Rejected" and await ex.await_condition(lambda: tx.ended, _quick(ex))):
        return  # the transaction ended an instant before
    if ex.expect("TriggerMessage", "Accepted (TransactionEvent, transaction running)",
                 f"{res.status} (TransactionEvent, transaction running)"):
        found = await ex.await_notice("TransactionEvent", lambda n: (n.get("transaction_info") or {}).get(
            "transaction_id") == tx.id and n.get("trigger_reason") == "Trigger", since=since, timeout=_quick(ex) * 2)
        if found is None and not tx.ended:
            ex.miss("TriggerMessage", f"TransactionEvent triggerReason Trigger for {tx.id}", "none")


async def sign_certificate(ex):
    """A02/A03: the charge point's CSR, signed by a throwaway CA, installed with CertificateSigned."""
    since = ex.mark()
    res = await ex.call(call.TriggerMessage(requested_message="SignChargingStationCertificate"))
    if res is None or not ex.expect("TriggerMessage", "Accepted", res.status):
        return
    found = await ex.await_notice("SignCertificate", since=since)
    if found is None:
        ex.miss("TriggerMessage", "SignCertificate after SignChargingStationCertificate", "none")
        return
    notice = found[1]
    if notice.get("certificate_type") not in (None, "ChargingStationCertificate"):
        ex.miss("SignCertificate", "certificateType ChargingStationCertificate", notice.get("certificate_type"))
    chain, problem = authority().sign(notice.get("csr", ""))
    if chain is None:
        ex.miss("SignCertificate", "a valid PKCS#10 CSR", problem)
        return
    res = await ex.call(call.CertificateSigned(certificate_chain=chain, certificate_type="ChargingStationCertificate"))
    if res is not None:
        ex.expect("CertificateSigned", "Accepted", res.status)
    garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
    res = await ex.call(call.CertificateSigned(certificate_chain=garbage, certificate_type="ChargingStationCertificate"))
    if res is not None:
        ex.expect("CertificateSigned", "Rejected", res.status)


async def unlock_connector(ex):
    """F05: Unlocked/UnlockFailed when idle, OngoingAuthorizedTransaction with a transaction
    (F05.FR.02), UnknownConnector for what does not exist."""
    for evse_id, connector_id in ((99, 1), (1, 99)):
        res = await ex.call(call.UnlockConnector(evse_id=evse_id, connector_id=connector_id))
        if res is not None:
            ex.expect("UnlockConnector", "UnknownConnector", res.status)
    busy = bool(ex.open_on(1))
    res = await ex.call(call.UnlockConnector(evse_id=1, connector_id=1))
    if res is not None:
        await _judge_by_state(ex, "UnlockConnector", res.status, busy, lambda: bool(ex.open_on(1)),
                              {"OngoingAuthorizedTransaction"}, {"Unlocked", "UnlockFailed"})


async def _judge_by_state(ex, action, status, busy, busy_now, when_busy, when_idle):
    """Checks an answer that depends on whether a transaction runs. A driver may have started or
    ended one an instant before the charge point answered: when the answer fits the other state,
    look again a second later and accept it if the state did change."""
    expected = when_busy if busy else when_idle
    if status in expected:
        return
    await asyncio.sleep(1.0)
    if busy_now() != busy:
        expected = when_busy | when_idle
    ex.expect(action, {f"{s} ({'busy' if busy else 'idle'})" for s in expected},
              f"{status} ({'busy' if busy else 'idle'})")


# --------------------------------------------------------------------------- G Availability


async def _status_after(ex, since, evse_id, predicate, what):
    found = await ex.await_notice("StatusNotification",
                                  lambda n: n.get("evse_id") == evse_id and predicate(n.get("status")),
                                  since=since, timeout=_quick(ex))
    if found is None:
        ex.miss("ChangeAvailability", f"StatusNotification {what} for EVSE {evse_id}", "none")


async def change_availability(ex):
    """G03 (EVSE) and G04 (station): Inoperative then Operative, with the StatusNotifications
    that follow; Scheduled while a transaction runs; Rejected for an EVSE that does not exist."""
    res = await ex.call(call.ChangeAvailability(operational_status="Inoperative", evse={"id": 99}))
    if res is not None:
        ex.expect("ChangeAvailability", "Rejected", res.status)
    for scope in ({"id": 1}, None):
        args = {"evse": scope} if scope is not None else {}
        where = "EVSE 1" if scope else "station"

        def busy_now():
            return bool(ex.open_on(1)) if scope else bool(ex.ledger.open_for(ex.cp.id))

        busy = busy_now()
        since = ex.mark()
        res = await ex.call(call.ChangeAvailability(operational_status="Inoperative", **args))
        if res is None:
            continue
        await _judge_by_state(ex, f"ChangeAvailability ({where})", res.status, busy, busy_now,
                              {"Scheduled"}, {"Accepted"})
        if res.status == "Accepted" and ex.st.status.get((1, 1)) != "Unavailable":
            await _status_after(ex, since, 1, lambda s: s == "Unavailable", "Unavailable")
        since = ex.mark()
        res = await ex.call(call.ChangeAvailability(operational_status="Operative", **args))
        if res is not None and ex.expect("ChangeAvailability", "Accepted", res.status) \
                and ex.st.status.get((1, 1)) == "Unavailable":
            await _status_after(ex, since, 1, lambda s: s != "Unavailable", "back from Unavailable")


# --------------------------------------------------------------------------- H Reservation


async def reservation(ex):
    """H01/H02: a reservation of a free EVSE 1 (Reserved, then Available after the cancel),
    one of an EVSE that does not exist, a cancel of an unknown one, and one without EVSE
    (optional: H01.FR.19)."""
    reservation_id = random.randint(1000, 9999)
    free = ex.evse_free(1)
    since = ex.mark()
    res = await ex.call(call.ReserveNow(id=reservation_id, expiry_date_time=_iso(120), id_token=RESERVE_TOKEN,
                                        evse_id=1))
    if res is not None:
        if not free:
            ex.expect("ReserveNow", {"Accepted", "Occupied", "Faulted", "Unavailable", "Rejected"}, res.status)
        elif res.status != "Accepted":
            await asyncio.sleep(1.0)  # a driver may have taken EVSE 1 an instant earlier
            if ex.evse_free(1):
                ex.expect("ReserveNow", "Accepted (EVSE 1 free)", f"{res.status} (EVSE 1 free)")
        if res.status == "Accepted":
            found = await ex.await_notice("StatusNotification", lambda n: _evse11(n) and n["status"] == "Reserved",
                                          since=since, timeout=_quick(ex))
            if found is None:
                ex.miss("ReserveNow", "StatusNotification Reserved for EVSE 1 connector 1", "none")
            since = ex.mark()
            res = await ex.call(call.CancelReservation(reservation_id=reservation_id))
            if res is not None and ex.expect("CancelReservation", "Accepted", res.status) and found is not None:
                if await ex.await_notice("StatusNotification", lambda n: _evse11(n) and n["status"] != "Reserved",
                                         since=since, timeout=_quick(ex)) is None:
                    ex.miss("CancelReservation", "StatusNotification Available for EVSE 1 connector 1", "none")
    res = await ex.call(call.ReserveNow(id=reservation_id + 1, expiry_date_time=_iso(120), id_token=RESERVE_TOKEN,
                                        evse_id=99))
    if res is not None:
        ex.expect("ReserveNow", "Rejected", res.status)
    res = await ex.call(call.CancelReservation(reservation_id=reservation_id + 5000))
    if res is not None:
        ex.expect("CancelReservation", "Rejected", res.status)
    res = await ex.call(call.ReserveNow(id=reservation_id + 2, expiry_date_time=_iso(120), id_token=RESERVE_TOKEN))
    if res is not None and ex.expect("ReserveNow", {"Accepted", "Rejected", "Occupied", "Unavailable", "Faulted"},
                                     res.status) and res.status == "Accepted":
        res = await ex.call(call.CancelReservation(reservation_id=reservation_id + 2))
        if res is not None:
            ex.expect("CancelReservation", "Accepted", res.status)


# --------------------------------------------------------------------------- K Smart charging


def _profile(profile_id, purpose, stack_level, periods, start_delta=0):
    return {"id": profile_id, "stack_level": stack_level, "charging_profile_purpose": purpose,
            "charging_profile_kind": "Absolute",
            "charging_schedule": [{"id": profile_id, "start_schedule": _iso(start_delta), "charging_rate_unit": "W",
                                   "charging_schedule_period": [{"start_period": s, "limit": lim}
                                                                for s, lim in periods]}]}


TX_DEFAULT = 501
STATION_MAX = 502
def _profiles():
    """(what, evseId, profile, statuses), with schedules that start now."""
    return (
        ("TxDefaultProfile on the station", 0,
         _profile(TX_DEFAULT, "TxDefaultProfile", 1, [(0, 7400.0), (300, 3700.0)]), {"Accepted"}),
        ("ChargingStationMaxProfile", 0, _profile(STATION_MAX, "ChargingStationMaxProfile", 0, [(0, 22000.0)], -60),
         {"Accepted"}),
        # a station maximum only on evseId 0
        ("ChargingStationMaxProfile on EVSE 1", 1, _profile(505, "ChargingStationMaxProfile", 0, [(0, 11000.0)]),
         {"Rejected"}),
        # K01.FR.22: the CSMS may not set external constraints
        ("ChargingStationExternalConstraints", 1,
         _profile(506, "ChargingStationExternalConstraints", 0, [(0, 11000.0)]), {"Rejected"}),
    )


async def smart_charging(ex):
    for what, evse_id, profile, statuses in _profiles():
        res = await ex.call(call.SetChargingProfile(evse_id=evse_id, charging_profile=profile))
        if res is not None:
            ex.expect("SetChargingProfile", {f"{s} ({what})" for s in statuses}, f"{res.status} ({what})")
    if not ex.open_on(1):
        # K01.FR.03: a TxProfile needs a transaction
        profile = _profile(503, "TxProfile", 2, [(0, 6000.0)])
        res = await ex.call(call.SetChargingProfile(evse_id=1, charging_profile=profile))
        if res is not None:
            ex.expect("SetChargingProfile", "Rejected (TxProfile without transaction)",
                      f"{res.status} (TxProfile without transaction)")
    await _charging_profiles_report(ex)
    await _composite_schedule(ex)
    for args, status in (({"charging_profile_id": TX_DEFAULT}, "Accepted"),
                         ({"charging_profile_id": 99999}, "Unknown"),
                         ({"charging_profile_criteria": {"charging_profile_purpose": "ChargingStationMaxProfile"}},
                          "Accepted")):
        res = await ex.call(call.ClearChargingProfile(**args))
        if res is not None:
            ex.expect("ClearChargingProfile", status, res.status)


async def _charging_profiles_report(ex):
    """K09: GetChargingProfiles, then ReportChargingProfiles up to tbc=false holding our profile."""
    request_id = ex.request_id()
    key = (ex.cp.id, "ReportChargingProfiles", request_id)
    series = ex.c.expect_report(ex.cp.id, "ReportChargingProfiles", request_id)
    res = await ex.call(call.GetChargingProfiles(request_id=request_id,
                                                 charging_profile={"charging_profile_purpose": "TxDefaultProfile"}))
    if res is None or not ex.expect("GetChargingProfiles", "Accepted", res.status):
        ex.c.reports.pop(key, None)
    elif not await ex.await_condition(lambda: series.complete):
        ex.miss("GetChargingProfiles", f"ReportChargingProfiles up to tbc=false for requestId {request_id}",
                f"{len(series.parts)} part(s)")
    else:
        ids = [p.get("id") for part in series.items for p in part.get("charging_profile") or []]
        if TX_DEFAULT not in ids:
            ex.miss("GetChargingProfiles", f"profile {TX_DEFAULT} reported", ids)
    request_id = ex.request_id()
    res = await ex.call(call.GetChargingProfiles(request_id=request_id,
                                                 charging_profile={"charging_profile_id": [99999]}))
    if res is not None:
        ex.expect("GetChargingProfiles", "NoProfiles", res.status)


async def _composite_schedule(ex):
    """K08: EVSE 1 without a transaction runs under the TxDefaultProfile capped by the station
    maximum: at most 7400 W for the first 300 s, at most 3700 W from then on."""
    idle = not ex.open_on(1)
    res = await ex.call(call.GetCompositeSchedule(duration=600, evse_id=1, charging_rate_unit="W"))
    if res is not None and ex.expect("GetCompositeSchedule", "Accepted", res.status):
        schedule = res.schedule or {}
        if schedule.get("evse_id") != 1 or schedule.get("charging_rate_unit") != "W":
            ex.miss("GetCompositeSchedule", "a schedule for EVSE 1 in W",
                    f"evseId {schedule.get('evse_id')}, {schedule.get('charging_rate_unit')}")
        periods = [(p.get("start_period"), p.get("limit")) for p in schedule.get("charging_schedule_period") or []]
        if idle:
            def limit_at(t):
                current = None
                for start, lim in periods:
                    if start <= t:
                        current = lim
                return current
            early, late = limit_at(0), limit_at(320)
            if early is None or early > 7400.01 or late is None or late > 3700.01:
                ex.miss("GetCompositeSchedule", "<= 7400 W from 0 s, <= 3700 W from ~300 s", periods)
    res = await ex.call(call.GetCompositeSchedule(duration=600, evse_id=99))
    if res is not None:
        ex.expect("GetCompositeSchedule", "Rejected", res.status)


# --------------------------------------------------------------------------- E/F Transactions


def _points(ex, name):
    return {p.strip() for p in str(ex.st.variables.get(name) or "").split(",") if p.strip()}


async def remote_transaction(ex):
    """E14 GetTransactionStatus, F01/F02 RequestStartTransaction (the TransactionEvent that
    carries its remoteStartId, triggerReason RemoteStart), F03 RequestStopTransaction (Rejected
    for an unknown transaction: F03.FR.08)."""
    res = await ex.call(call.GetTransactionStatus())
    if res is not None and res.ongoing_indicator is not None:
        ex.miss("GetTransactionStatus", "no ongoingIndicator without transactionId (E14)", res.ongoing_indicator)
    res = await ex.call(call.GetTransactionStatus(transaction_id="peer-unknown-tx"))
    if res is not None and res.ongoing_indicator:
        ex.miss("GetTransactionStatus", "ongoingIndicator false for an unknown transaction", res.ongoing_indicator)
    res = await ex.call(call.RequestStopTransaction(transaction_id="peer-unknown-tx"))
    if res is not None:
        ex.expect("RequestStopTransaction", "Rejected", res.status)

    free = ex.evse_free(1)
    remote_start_id = random.randint(1, 2_000_000_000)
    since = ex.mark()
    res = await ex.call(call.RequestStartTransaction(id_token=REMOTE_TOKEN, remote_start_id=remote_start_id, evse_id=1))
    if res is None:
        return
    if res.status != "Accepted":
        if free:
            await asyncio.sleep(1.0)  # a driver may have taken EVSE 1 an instant earlier
            if ex.evse_free(1):
                ex.expect("RequestStartTransaction", "Accepted (EVSE 1 free)", f"{res.status} (EVSE 1 free)")
        return
    found = await ex.await_notice("TransactionEvent",
                                  lambda n: (n.get("transaction_info") or {}).get("remote_start_id") == remote_start_id,
                                  since=since)
    required = "Authorized" in _points(ex, "TxStartPoint") or res.transaction_id is not None
    if found is None:
        if required:
            ex.miss("RequestStartTransaction", f"TransactionEvent with remoteStartId {remote_start_id}",
                    f"none within {ex.opts.exercise_timeout:g}s")
        else:
            ex.note(f"no transaction after the remote start: TxStartPoint {_points(ex, 'TxStartPoint')} waits "
                    "for an EV that did not come")
        return
    event = found[1]
    tx_id = event["transaction_info"]["transaction_id"]
    ex.expect("TransactionEvent", "RemoteStart", event.get("trigger_reason"))
    if res.transaction_id is not None and res.transaction_id != tx_id:
        ex.miss("RequestStartTransaction", f"transactionId {res.transaction_id} in the TransactionEvent", tx_id)
    if (event.get("id_token") or {}).get("id_token", REMOTE_TOKEN["id_token"]) != REMOTE_TOKEN["id_token"]:
        ex.miss("TransactionEvent", f"idToken {REMOTE_TOKEN['id_token']}", event.get("id_token"))
    await _remote_stop(ex, tx_id)


async def _remote_stop(ex, tx_id):
    tx = ex.ledger.get(ex.cp.id, tx_id)
    await ex.pause(0.5, 1.5)
    res = await ex.call(call.GetTransactionStatus(transaction_id=tx_id))
    if res is not None and tx is not None and not tx.ended:
        ex.expect("GetTransactionStatus", True, res.ongoing_indicator)
    since = ex.mark()
    res = await ex.call(call.RequestStopTransaction(transaction_id=tx_id))
    if res is None:
        return
    if res.status == "Rejected" and tx is not None and await ex.await_condition(lambda: tx.ended, _quick(ex)):
        return  # ended by the charge point itself an instant earlier (F03.FR.08 then applies)
    if not ex.expect("RequestStopTransaction", "Accepted", res.status):
        return
    found = await ex.await_notice("TransactionEvent",
                                  lambda n: (n.get("transaction_info") or {}).get("transaction_id") == tx_id
                                  and n.get("trigger_reason") == "RemoteStop", since=since)
    if found is None:
        ex.miss("RequestStopTransaction", f"TransactionEvent triggerReason RemoteStop for {tx_id}", "none")
        return
    stops_on_remote = _points(ex, "TxStopPoint") & {"Authorized", "PowerPathClosed", "EnergyTransfer"}
    if tx is not None and (stops_on_remote or found[1].get("event_type") == "Ended"):
        if not await ex.await_condition(lambda: tx.ended):
            ex.miss("RequestStopTransaction", f"TransactionEvent Ended for {tx_id}", "none")
            return
        ex.expect("TransactionEvent", "Remote", tx.stopped_reason)
        res = await ex.call(call.GetTransactionStatus(transaction_id=tx_id))
        if res is not None:
            ex.expect("GetTransactionStatus", False, bool(res.ongoing_indicator))


# --------------------------------------------------------------------------- N Diagnostics


LOG_TERMINAL = {"Uploaded", "UploadFailure", "BadMessage", "NotSupportedOperation", "PermissionDenied"}


async def get_log(ex):
    for log_type in ("DiagnosticsLog", "SecurityLog"):
        request_id = ex.request_id()
        since = ex.mark()
        res = await ex.call(call.GetLog(log={"remote_location": "ftp://127.0.0.1/logs/"}, log_type=log_type,
                                        request_id=request_id, retries=1, retry_interval=2))
        if res is None or not ex.expect("GetLog", "Accepted", res.status):
            continue
        found = await ex.await_notice("LogStatusNotification",
                                      lambda n: n.get("request_id") == request_id and n.get("status") in LOG_TERMINAL,
                                      since=since)
        if found is None:
            ex.miss("GetLog", f"LogStatusNotification {'|'.join(sorted(LOG_TERMINAL))} for {request_id}", "none")


async def customer_information(ex):
    """N09: a report for an idToken comes as NotifyCustomerInformation parts up to tbc=false;
    a request naming no customer is not Accepted."""
    request_id = ex.request_id()
    key = (ex.cp.id, "NotifyCustomerInformation", request_id)
    series = ex.c.expect_report(ex.cp.id, "NotifyCustomerInformation", request_id)
    res = await ex.call(call.CustomerInformation(request_id=request_id, report=True, clear=False,
                                                 id_token=CUSTOMER_TOKEN))
    if res is None or not ex.expect("CustomerInformation", "Accepted", res.status):
        ex.c.reports.pop(key, None)
    elif not await ex.await_condition(lambda: series.complete):
        ex.miss("CustomerInformation", f"NotifyCustomerInformation up to tbc=false for {request_id}",
                f"{len(series.parts)} part(s)")
    res = await ex.call(call.CustomerInformation(request_id=ex.request_id(), report=True, clear=False))
    if res is not None:
        ex.expect("CustomerInformation", {"Invalid", "Rejected"}, res.status)


# --------------------------------------------------------------------------- L Firmware


# Progress of an update (L01); failures end it at any point.
FIRMWARE_ORDER = ("DownloadScheduled", "Downloading", "Downloaded", "SignatureVerified", "InstallScheduled",
                  "Installing", "InstallRebooting", "Installed")
FIRMWARE_RANK = dict({s: i for i, s in enumerate(FIRMWARE_ORDER)}, DownloadPaused=1)
FIRMWARE_TERMINAL = {"Installed", "DownloadFailed", "InstallationFailed", "InvalidSignature",
                     "InstallVerificationFailed"}


async def update_firmware_send(ex):
    st = ex.st
    st.variables["firmware.since"] = ex.mark()
    st.variables["firmware.boots"] = st.boots
    request_id = ex.request_id()
    st.variables["firmware.request"] = request_id
    firmware = {"location": "https://127.0.0.1/firmware/sim-2.0.1.bin", "retrieve_date_time": _iso(0),
                "signing_certificate": authority().pem,
                "signature": base64.b64encode(b"peer-csms signature").decode()}
    res = await ex.call(call.UpdateFirmware(request_id=request_id, firmware=firmware, retries=1, retry_interval=2))
    st.variables["firmware.status"] = res.status if res is not None else None
    if res is not None:
        ex.expect("UpdateFirmware", {"Accepted", "InvalidCertificate"}, res.status)


async def update_firmware_wait(ex):
    st = ex.st
    since, request_id = st.variables.get("firmware.since", 0), st.variables.get("firmware.request")
    status = st.variables.get("firmware.status")
    if status == "InvalidCertificate":
        # L01.FR.02: a signing certificate that fails verification is a security event
        if await ex.await_notice("SecurityEventNotification",
                                 lambda n: n.get("type") == "InvalidFirmwareSigningCertificate", since=since) is None:
            ex.miss("UpdateFirmware", "SecurityEventNotification InvalidFirmwareSigningCertificate", "none")
        return
    if status != "Accepted":
        return
    found = await ex.await_notice("FirmwareStatusNotification",
                                  lambda n: n.get("request_id") == request_id and n.get("status") in FIRMWARE_TERMINAL,
                                  since=since, timeout=ex.opts.exercise_timeout * 2)
    if found is None:
        ex.miss("UpdateFirmware", f"FirmwareStatusNotification {'|'.join(sorted(FIRMWARE_TERMINAL))}", "none")
        return
    seen = [n.get("status") for a, n in st.notices[since:found[0] + 1]
            if a == "FirmwareStatusNotification" and n.get("request_id") == request_id]
    ranks = [FIRMWARE_RANK[s] for s in seen if s in FIRMWARE_RANK]
    if ranks != sorted(ranks):
        ex.miss("FirmwareStatusNotification", " -> ".join(FIRMWARE_ORDER), " -> ".join(seen))
    if "InstallRebooting" in seen:
        boot = [n for a, n in st.notices[since:] if a == "BootNotification"]
        if not boot or boot[0].get("reason") != "FirmwareUpdate":
            ex.miss("BootNotification", "reason FirmwareUpdate after InstallRebooting",
                    boot[0].get("reason") if boot else "no boot")


# --------------------------------------------------------------------------- B Reset


async def _reset_send(ex, kind):
    st = ex.st
    st.variables["reset.kind"] = kind
    st.variables["reset.boots"] = st.boots
    st.variables["reset.since"] = ex.mark()
    st.variables["reset.open"] = [t.id for t in ex.ledger.open_for(ex.cp.id)]
    busy = bool(st.variables["reset.open"])
    res = await ex.call(call.Reset(type=kind))
    st.variables["reset.status"] = res.status if res is not None else None
    if res is None:
        return
    if kind == "OnIdle":
        # B12.FR.01: OnIdle waits for running transactions
        await _judge_by_state(ex, "Reset OnIdle", res.status, busy, lambda: bool(ex.ledger.open_for(ex.cp.id)),
                              {"Scheduled"}, {"Accepted"})
    else:
        ex.expect("Reset", "Accepted", res.status)


async def reset_on_idle_send(ex):
    # an EVSE that does not exist cannot be reset
    res = await ex.call(call.Reset(type="OnIdle", evse_id=99))
    if res is not None:
        ex.expect("Reset", "Rejected", res.status)
    await _reset_send(ex, "OnIdle")


async def reset_immediate_send(ex):
    await _reset_send(ex, "Immediate")


async def reset_wait(ex):
    """B11/B12: the charge point reboots and boots with reason RemoteReset; an Immediate reset
    ends its transactions with stoppedReason ImmediateReset (B12.FR.04)."""
    st = ex.st
    kind, status = st.variables.get("reset.kind"), st.variables.get("reset.status")
    if status not in ("Accepted", "Scheduled"):
        return
    boots = st.variables.get("reset.boots", 0)
    timeout = ex.opts.exercise_timeout * (3 if status == "Scheduled" else 1)
    if not await ex.await_condition(lambda: st.boots > boots, timeout):
        if status == "Scheduled":
            ex.note(f"Reset {kind} Scheduled: no reboot within {timeout:g}s (a transaction still running)")
        else:
            ex.miss("Reset", f"a BootNotification after Reset {kind}", f"none within {timeout:g}s")
        return
    reason = st.boot_reasons[boots] if len(st.boot_reasons) > boots else None
    ex.expect("BootNotification", "RemoteReset", reason)
    if kind != "Immediate":
        return
    for tx_id in st.variables.get("reset.open", []):
        tx = ex.ledger.get(ex.cp.id, tx_id)
        if tx is None or not await ex.await_condition(lambda: tx.ended):
            ex.miss("Reset", f"TransactionEvent Ended for {tx_id} after Reset Immediate", "none")
        else:
            ex.expect("TransactionEvent", "ImmediateReset", tx.stopped_reason)
