"""The peer CSMS's hostile mode (--hostile): after boot it throws malformed and hostile
frames at a charge point and checks each answer against OCPP-J 1.6 (§4.1.3, §4.2.3):

* a CALL it can read but whose payload breaks the schema gets a CALLERROR with the
  code for that constraint (TypeConstraintViolation, OccurenceConstraintViolation,
  PropertyConstraintViolation, FormationViolation), an unknown action NotImplemented;
* a message that is not JSON gets a CALLERROR (its id unreadable, so "-1");
* CALLRESULTs and CALLERRORs for ids it never sent, unknown MessageTypeIds and binary
  frames get no answer at all;
* a CALL sent twice with one uniqueId is answered twice, a fragmented text message is
  reassembled and answered, and a CALLRESULT that breaks the schema (to its Heartbeat)
  is survived;
* an oversized frame (more than the charge point accepts) closes the connection, and the
  charge point comes back (the last step).

Afterwards the charge point must still answer a valid CALL. Every deviation is an
exercise mismatch in the summary.
"""

from __future__ import annotations

import asyncio
import json

ANSWER_WAIT = 5.0
SILENCE_WAIT = 1.5
# Larger than the charge point's maximum frame (1 MiB by default).
OVERSIZED = 2 * 1024 * 1024

# (label, frame, expected): expected is a set of CALLERROR codes, "result" for a
# CALLRESULT, or None for "no answer". The frame's uniqueId is the label.
STEPS = [
    ("wrong-type", '[2,"wrong-type","GetConfiguration",{"key":"HeartbeatInterval"}]', {"TypeConstraintViolation"}),
    ("missing-field", '[2,"missing-field","ChangeConfiguration",{"key":"HeartbeatInterval"}]',
     {"OccurenceConstraintViolation", "OccurrenceConstraintViolation"}),
    ("bad-enum", '[2,"bad-enum","Reset",{"type":"Sideways"}]', {"PropertyConstraintViolation"}),
    ("extra-field", '[2,"extra-field","ClearCache",{"surprise":1}]', {"FormationViolation"}),
    ("unknown-action", '[2,"unknown-action","SelfDestruct",{}]', {"NotImplemented"}),
    ("payload-not-object", '[2,"payload-not-object","Heartbeat",[]]', {"FormationViolation"}),
    ("unknown-type-id", '[7,"unknown-type-id",{}]', None),
    ("result-unknown-id", '[3,"result-unknown-id",{"currentTime":"2026-01-01T00:00:00Z"}]', None),
    ("error-unknown-id", '[4,"error-unknown-id","GenericError","",{}]', None),
]


class HostileExercise:
    def __init__(self, cp):
        self.cp = cp
        self.c = cp.central
        self.answers: dict = {}  # uniqueId -> list of ("result", payload) | ("error", code)

    def expecting(self, uid) -> bool:
        return uid in self.answers

    def record(self, uid, kind, detail):
        self.answers.setdefault(uid, []).append((kind, detail))

    def miss(self, label, expected, got):
        self.c.mismatch(self.cp.id, f"hostile:{label}", expected, got)

    async def settle(self, uid, count=1, timeout=ANSWER_WAIT):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.answers.get(uid, [])) < count and loop.time() < deadline:
            await asyncio.sleep(0.05)
        return self.answers.get(uid, [])

    async def send(self, uid, frame):
        self.answers[uid] = []
        self.c.hostile_frames += 1
        await self.cp._connection.send(frame)

    async def run(self):
        cp = self.cp
        cp.hostile = self
        for label, frame, expected in STEPS:
            await self.send(label, frame)
            got = await self.settle(label, timeout=ANSWER_WAIT if expected is not None else SILENCE_WAIT)
            self.check(label, expected, got)

        # Not JSON: the id cannot be read, so the CALLERROR carries "-1" (or none comes).
        self.answers["-1"] = []
        await self.send("not-json", '[2,"not-json","Heartbeat",{')
        got = await self.settle("-1")
        if not got or got[0] != ("error", "FormationViolation"):
            self.miss("not-json", "CALLERROR -1 FormationViolation", got)

        # The same uniqueId twice: two answers.
        frame = '[2,"twice","GetConfiguration",{"key":["HeartbeatInterval"]}]'
        await self.send("twice", frame)
        await cp._connection.send(frame)
        got = await self.settle("twice", count=2)
        if [k for k, _ in got] != ["result", "result"]:
            self.miss("duplicate-id", "two CALLRESULTs", got)

        # A binary frame: no answer (OCPP-J uses text frames).
        await self.send("binary", b'[2,"binary","Heartbeat",{}]')
        got = await self.settle("binary", timeout=SILENCE_WAIT)
        self.check("binary", None, got)

        # A text message in three fragments: reassembled and answered.
        self.answers["fragmented"] = []
        await cp._connection.send(iter(['[2,"fragmented",', '"GetConfiguration",',
                                        '{"key":["NumberOfConnectors"]}]']))
        got = await self.settle("fragmented")
        self.check("fragmented", "result", got)

        # The next Heartbeat.conf breaks the schema: the charge point counts it and goes on.
        self.c.hostile_bad_results_armed += 1
        cp.break_next_heartbeat = True
        before = cp.state.actions["Heartbeat"]
        await self.send("trigger-heartbeat", '[2,"trigger-heartbeat","TriggerMessage",{"requestedMessage":"Heartbeat"}]')
        await self.settle("trigger-heartbeat")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ANSWER_WAIT
        while cp.state.actions["Heartbeat"] <= before and loop.time() < deadline:
            await asyncio.sleep(0.05)

        # Still alive: a valid CALL is answered.
        await self.send("alive", '[2,"alive","GetConfiguration",{"key":["HeartbeatInterval"]}]')
        got = await self.settle("alive")
        self.check("alive", "result", got)

        # Last: a frame larger than the charge point accepts closes the connection; the
        # charge point must come back (checked in the summary: reconnects).
        # Every checked step is done by now; the charge point may close the socket while
        # the oversized frame is still being written, which ends this task (ConnectionClosed).
        cp.state.hostile_done = True
        if self.c.opts.hostile_oversized:
            cp.state.oversized_sent_at_connection = cp.state.connections
            await self.send("oversized", '[2,"oversized","DataTransfer",{"vendorId":"x","data":"'
                            + "x" * OVERSIZED + '"}]')

    def check(self, label, expected, got):
        if expected is None:
            if got:
                self.miss(label, "no answer", got)
        elif expected == "result":
            if not got or got[0][0] != "result":
                self.miss(label, "CALLRESULT", got or "no answer")
        else:
            if not got or got[0][0] != "error" or got[0][1] not in expected:
                self.miss(label, "CALLERROR " + "|".join(sorted(expected)), got or "no answer")
