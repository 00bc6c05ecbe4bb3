"""The OCPP 2.0.1 rules the peer CSMS checks beyond the JSON schemas, kept apart from the
network code: transactions (TransactionEvent, functional block E), multi-part reports
(NotifyReport, NotifyEvent, NotifyCustomerInformation, NotifyMonitoringReport,
ReportChargingProfiles) and the plausibility of the `offline` flag.

Each check returns the breaches it found as (code, detail) pairs; csms201.py records them as
violations of the charge point that sent the message.

Transactions (OCPP 2.0.1 part 2, E. "Transactions"; TransactionEventRequest field rules):
- the first event of a transaction is `Started`, the last `Ended`, all others `Updated`:
  exactly one Started and one Ended per transactionId, nothing after Ended, and Updated/Ended
  only for a transaction whose Started arrived;
- seqNo increases strictly within a transaction. Edition 2 recommends a counter per
  transaction starting at 0 (TC_E_53); the first edition allowed one counter per charging
  station, shared by its transactions. So at Ended every number between the Started's seqNo
  and the Ended's must have arrived for this transaction, or (when the charge point has shown
  a shared counter: a Started with seqNo > 0) for another of its transactions in between;
- at most one transaction per EVSE at a time;
- an identical repeat of an event (same seqNo, same content) is a retry whose answer was lost:
  counted, not a breach. The same seqNo with other content is;
- `offline: true` means the event happened while the charging station was offline: its
  timestamp must not fall inside a connection to this CSMS, and an event without the flag must
  not fall into a gap between connections (both with a tolerance for clocks and detection).
"""

from __future__ import annotations

import json

from peercore import MAX_LIST, finite_number, parse_timestamp, register_problem

ENERGY_REGISTER = "Energy.Active.Import.Register"
# Units the energy register may be given in, as factors to Wh (part 2 appendix, standardized units).
ENERGY_UNITS = {"Wh": 1.0, "kWh": 1000.0}


def canonical(payload) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def epoch(value):
    parsed = parse_timestamp(value)
    return parsed.timestamp() if parsed is not None else None


# --------------------------------------------------------------------------- offline flag


def offline_problem(offline: bool, when, arrival: float, intervals, tolerance: float, watched_from: float):
    """Judges the `offline` flag of an event that happened at `when` (epoch seconds) and
    arrived at `arrival`, given the charge point's connections to this CSMS as (start, end)
    intervals (end None: still open). Returns (code, detail), "clock" when the event's clock
    is ahead of ours (a time-scaled run: no judgement possible), or None."""
    if when is None:
        return None
    if when > arrival + tolerance:
        return "clock"
    if when < watched_from + tolerance:
        return None  # before this peer started: nothing known
    if offline:
        for start, end in intervals:
            # a connection still open now was open at `when`; one that ended may have ended
            # unnoticed by the charge point for a moment
            stop = end - tolerance if end is not None else arrival
            if start + tolerance <= when <= stop:
                return ("OfflineFlagImplausible",
                        f"event at {when:.3f} marked offline, but the charge point was connected "
                        f"from {start:.3f} to {stop:.3f}")
        return None
    for start, end in intervals:
        stop = end if end is not None else arrival
        if start - tolerance <= when <= stop + tolerance:
            return None
    return ("OfflineFlagMissing",
            f"event at {when:.3f} not marked offline, but the charge point had no connection then")


# --------------------------------------------------------------------------- transactions


class Tx201:
    """One transaction as the CSMS saw it. Kept after it ended for the summary, without what
    only the checks of a running transaction need."""

    def __init__(self, cp, tx_id):
        self.cp = cp
        self.id = tx_id
        self.started = False
        self.ended = False
        self.started_seq = None
        self.ended_seq = None
        self.seqs: dict = {}  # seqNo -> (hash of the event, connection serial it first came on)
        self.max_seq = None
        # seqNos that other transactions of the charge point used while this one ran (a shared counter)
        self.foreign: set = set()
        self.events = 0
        self.duplicates = 0
        self.replayed = 0  # duplicates that came on a later connection than the first copy
        self.offline_events = 0
        self.meter_values = 0
        self.evse = None
        self.remote_start_id = None
        self.stopped_reason = None
        self.registers: dict = {}  # (phase, location) -> [(when, Wh)]

    def to_json(self):
        return {
            "id": self.id,
            "cp": self.cp,
            "evse": self.evse,
            "started": self.started,
            "ended": self.ended,
            "events": self.events,
            "firstSeqNo": min(self.seqs) if self.seqs else None,
            "lastSeqNo": self.max_seq,
            "duplicateEvents": self.duplicates,
            "replayedEvents": self.replayed,
            "offlineEvents": self.offline_events,
            "meterValues": self.meter_values,
            "remoteStartId": self.remote_start_id,
            "stoppedReason": self.stopped_reason,
        }


class TransactionLedger:
    """Every transaction of every charge point, and the checks on each TransactionEvent."""

    def __init__(self):
        self.txs: dict = {}  # (cp, transactionId) -> Tx201
        self.running: dict = {}  # cp -> {transactionId: Tx201} not yet ended
        self.shared_counter: set = set()  # charge points that showed one seqNo counter for all transactions
        self.events = 0
        self.duplicates = 0
        self.replayed = 0
        self.offline_events = 0
        self.meter_values = 0
        self.clock_ahead = 0

    def open_for(self, cp):
        return [t for t in self.running.get(cp, {}).values() if t.started]

    def get(self, cp, tx_id):
        return self.txs.get((cp, tx_id))

    def record(self, cp, serial, event: dict, arrival: float, intervals, tolerance: float, watched_from: float):
        """Checks one TransactionEventRequest (snake_case keys, as the ocpp library hands it)
        and records it. Returns (tx, duplicate, problems)."""
        info = event.get("transaction_info") or {}
        tx_id = info.get("transaction_id")
        kind = event.get("event_type")
        seq = event.get("seq_no")
        tx = self.txs.get((cp, tx_id))
        problems = []
        self.events += 1
        body = hash(canonical(event))

        if tx is not None and seq in tx.seqs:
            if tx.seqs[seq][0] == body:
                self.duplicates += 1
                tx.duplicates += 1
                if tx.seqs[seq][1] != serial:
                    self.replayed += 1
                    tx.replayed += 1
                return tx, True, problems
            problems.append(("SeqNoReused", f"transaction {tx_id}: seqNo {seq} again with other content "
                                            f"({kind})"))

        if tx is None:
            tx = self.txs[(cp, tx_id)] = Tx201(cp, tx_id)
            self.running.setdefault(cp, {})[tx_id] = tx
            if kind != "Started":
                problems.append(("UnknownTransaction", f"{kind} for transaction {tx_id}, whose Started never "
                                                       "arrived"))
        elif kind == "Started":
            problems.append(("DuplicateStarted" if tx.started else "StartedNotFirst",
                             f"a second Started for transaction {tx_id} (seqNo {seq})" if tx.started else
                             f"Started for transaction {tx_id} after other events of it"))
        if tx.ended:
            problems.append(("DuplicateEnded" if kind == "Ended" else "EventAfterEnded",
                             f"{kind} (seqNo {seq}) for transaction {tx_id}, which already ended"))
        if tx.max_seq is not None and seq <= tx.max_seq and seq not in tx.seqs:
            problems.append(("SeqNoNotIncreasing",
                             f"transaction {tx_id}: seqNo {seq} after {tx.max_seq} ({kind})"))

        tx.events += 1
        tx.seqs.setdefault(seq, (body, serial))
        tx.max_seq = seq if tx.max_seq is None else max(tx.max_seq, seq)
        for other in self.running.get(cp, {}).values():
            if other is not tx:
                other.foreign.add(seq)
        if info.get("remote_start_id") is not None:
            tx.remote_start_id = info.get("remote_start_id")
        evse = (event.get("evse") or {}).get("id")
        if evse is not None:
            problems += self._check_evse(tx, evse)
            tx.evse = evse

        if kind == "Started" and not tx.started:
            tx.started = True
            tx.started_seq = seq
            if seq > 0:
                self.shared_counter.add(cp)

        offline = bool(event.get("offline", False))
        if offline:
            self.offline_events += 1
            tx.offline_events += 1
        judged = offline_problem(offline, epoch(event.get("timestamp")), arrival, intervals, tolerance, watched_from)
        if judged == "clock":
            self.clock_ahead += 1
        elif judged is not None:
            code, detail = judged
            problems.append((code, f"transaction {tx_id} {kind} seqNo {seq}: {detail}"))

        for mv in event.get("meter_value") or []:
            tx.meter_values += 1
            self.meter_values += 1
            problems += self.check_register(tx, mv)

        if kind == "Ended" and not tx.ended:
            tx.ended = True
            tx.ended_seq = seq
            tx.stopped_reason = info.get("stopped_reason", "Local")
            problems += self._check_gaps(tx)
            self.running.get(cp, {}).pop(tx_id, None)
            tx.foreign = set()
            tx.registers = {}
        return tx, False, problems

    def _check_evse(self, tx, evse):
        for other in self.open_for(tx.cp):
            if other is not tx and other.evse == evse:
                return [("EvseBusy", f"transaction {tx.id} on EVSE {evse} while transaction {other.id} "
                                     "is active there (at most one per EVSE)")]
        return []

    def _check_gaps(self, tx):
        if tx.started_seq is None:
            return []
        missing = [n for n in range(tx.started_seq, tx.ended_seq + 1) if n not in tx.seqs]
        if missing and tx.cp in self.shared_counter:
            missing = [n for n in missing if n not in tx.foreign]
        if not missing:
            return []
        shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        return [("SeqNoGap", f"transaction {tx.id} ended with seqNo {tx.ended_seq}, but seqNo {shown} "
                             f"never arrived (Started had {tx.started_seq})")]

    @staticmethod
    def check_register(tx, mv):
        """Energy.Active.Import.Register never decreases in time within a transaction."""
        problems = []
        when = parse_timestamp(mv.get("timestamp"))
        for sv in mv.get("sampled_value") or []:
            if sv.get("measurand", ENERGY_REGISTER) != ENERGY_REGISTER:
                continue
            unit = sv.get("unit_of_measure") or {}
            factor = ENERGY_UNITS.get(unit.get("unit", "Wh"))
            value = finite_number(sv.get("value"))
            if factor is None or value is None:
                problems.append(("InvalidMeterValue", f"transaction {tx.id}: {ENERGY_REGISTER} {sv.get('value')!r} "
                                                      f"in {unit.get('unit')!r}"))
                continue
            wh = value * factor * (10 ** unit.get("multiplier", 0))
            key = (sv.get("phase"), sv.get("location", "Outlet"))
            problem = register_problem(tx.registers.setdefault(key, []), when, wh)
            if problem is not None:
                problems.append(("MeterDecreasing", f"transaction {tx.id}: {ENERGY_REGISTER} {problem}"))
        return problems

    def summary(self, held_answers):
        started = [t for t in self.txs.values() if t.started]
        ordered = sorted(self.txs.values(), key=lambda t: (t.cp, str(t.id)))
        return {
            "started": len(started),
            "ended": sum(1 for t in started if t.ended),
            # the 1.6 summary's name for the same count
            "stopped": sum(1 for t in started if t.ended),
            "open": [{"id": t.id, "cp": t.cp, "evse": t.evse, "lastSeqNo": t.max_seq, "events": t.events}
                     for t in ordered if t.started and not t.ended][:MAX_LIST],
            "unknown": [t.id for t in ordered if not t.started][:MAX_LIST],
            "events": self.events,
            # identical repeats (answer lost, or retried after a timeout): allowed
            "duplicateEvents": self.duplicates,
            # ... of which arrived on a later connection than the first copy
            "replayedEvents": self.replayed,
            "offlineEvents": self.offline_events,
            "withOfflineEvents": sum(1 for t in self.txs.values() if t.offline_events > 0),
            # events whose timestamp lies ahead of this peer's clock (time-scaled runs): offline flag not judged
            "clockAheadEvents": self.clock_ahead,
            "heldAnswers": dict(sorted(held_answers.items())),
            "meterValues": self.meter_values,
            "perTransaction": [t.to_json() for t in ordered[:MAX_LIST]],
        }


# --------------------------------------------------------------------------- multi-part messages


class PartSeries:
    """One report sent in parts: seqNo 0, 1, 2, ... and tbc true on every part but the last
    (NotifyReport B07/B08, NotifyEvent N07, NotifyCustomerInformation N09,
    NotifyMonitoringReport N02; ReportChargingProfiles K09 has tbc only)."""

    def __init__(self, kind, request_id, requested_at=None, numbered=True):
        self.kind = kind
        self.request_id = request_id
        self.requested_at = requested_at
        self.numbered = numbered
        self.parts: dict = {}  # seqNo (or arrival number) -> canonical payload
        self.complete = False
        self.items: list = []  # the parts' payloads, in order

    def add(self, seq_no, tbc: bool, payload):
        """Returns (duplicate, problems)."""
        body = canonical(payload)
        seq = seq_no if self.numbered else len(self.parts)
        if self.numbered and self.parts.get(seq) == body:
            return True, []
        problems = []
        if self.complete:
            problems.append(("PartAfterLast", f"{self.kind} {self.request_id}: part {seq} after the last part "
                                              "(tbc false)"))
        elif self.numbered and seq != len(self.parts):
            problems.append(("PartSeqNo", f"{self.kind} {self.request_id}: seqNo {seq}, expected {len(self.parts)}"))
        self.parts.setdefault(seq, body)
        self.items.append(payload)
        if not tbc:
            self.complete = True
        return False, problems

    def to_json(self):
        return {"kind": self.kind, "requestId": self.request_id, "parts": len(self.parts), "complete": self.complete}
