"""The WebSocket side of the peer CSMSs (csms.py for OCPP 1.6J, csms201.py for 2.0.1): the
server with subprotocol negotiation, optional HTTP Basic authentication (security profile 1),
outage windows (drop everything, refuse for a while), signals and the summary file; and the
command-line options both peers take.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import json
import logging
import random
import signal
import sys
import time
from http import HTTPStatus

import websockets
from websockets.asyncio.server import serve as websockets_serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, NegotiationError
from websockets.protocol import State

from peercore import LOG, OCPP_LOG, Outage, PeerCentral, atomic_write, charge_point_id, now_iso, version_of



def basic_auth_ok(headers: Headers, cp_id: str, password: str) -> bool:
    """HTTP Basic authentication as security profile 1 requires: user name = the charge point
    id, the password configured for it."""
    value = headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic" or not token:
        return False
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, given = decoded.partition(":")
    return bool(sep) and user == cp_id and given == password


async def serve(opts, central: PeerCentral, make_charge_point, subprotocol: str, banner: str) -> int:
    """Runs the peer until SIGTERM/SIGINT: accepts `subprotocol` only, one charge point
    object (made by `make_charge_point(cp_id, ws, central, serial=...)`) per connection,
    outages if asked, and writes the summary at the end (and on SIGUSR1)."""
    stop = asyncio.Event()
    live: dict = {}  # open WebSocket -> charge point id
    background: set = set()  # tasks kept referenced until done

    def select_subprotocol(connection, subprotocols):
        if subprotocol in subprotocols:
            return subprotocol
        LOG.info("rejecting handshake on %s: subprotocols %s", connection.request.path, list(subprotocols))
        raise NegotiationError(f"subprotocol {subprotocol} required")

    def process_request(connection, request):
        cp_id = charge_point_id(request.path)
        if not cp_id:
            return connection.respond(HTTPStatus.NOT_FOUND, "charge point id missing from path\n")
        if opts.basic_auth_password is not None and not basic_auth_ok(request.headers, cp_id,
                                                                         opts.basic_auth_password):
            central.authentication_failures += 1
            response = connection.respond(HTTPStatus.UNAUTHORIZED, "authentication required\n")
            response.headers["WWW-Authenticate"] = 'Basic realm="ocpp", charset="UTF-8"'
            return response
        outage = central.outage
        if outage is not None:
            outage.refused_handshakes += 1
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "CSMS outage\n")
        return None

    def process_response(connection, request, response):
        if response.status_code != 101:
            central.rejected_handshakes += 1
        return None

    def drop(ws, cp_id, outage: Outage, on_arrival=False):
        """Ends one connection as an outage does: mostly a transport abort, sometimes a close frame."""
        central.dropped_by_outage += 1
        central.cp(cp_id).dropped_by_outage += 1
        outage.dropped_cps.add(cp_id)
        if on_arrival:
            outage.aborted_on_arrival += 1
            ws.transport.abort()
        elif random.random() < opts.outage_close_share:
            outage.closed_with_frame += 1
            task = asyncio.ensure_future(ws.close(1012, "CSMS outage"))
            background.add(task)
            task.add_done_callback(background.discard)
        else:
            outage.aborted += 1
            ws.transport.abort()

    async def on_connect(ws):
        cp_id = charge_point_id(ws.request.path)
        central.connections += 1
        central.active += 1
        serial = central.connections
        st = central.cp(cp_id)
        st.connections += 1
        opened = time.time()
        st.connected_at.append(opened)
        st.open_connections[serial] = opened
        central.live[cp_id] += 1
        if central.live[cp_id] > 1:
            central.duplicate_connections += 1
            LOG.info("second concurrent connection for %s", cp_id)
        LOG.debug("connected %s from %s", cp_id, ws.remote_address)
        cp = make_charge_point(cp_id, ws, central, serial=serial)
        live[ws] = cp_id
        try:
            outage = central.outage
            if outage is not None:
                # The handshake passed before the outage began: this connection goes too.
                drop(ws, cp_id, outage, on_arrival=True)
            await cp.start()
        except ConnectionClosed:
            pass
        except Exception as e:
            central.csms_error(cp_id, None, f"connection loop raised {e!r}")
        finally:
            live.pop(ws, None)
            st.intervals.append((st.open_connections.pop(serial, opened), time.time()))
            central.active -= 1
            central.live[cp_id] -= 1
            if central.live[cp_id] <= 0:
                del central.live[cp_id]
            if cp.exercise_task is not None and not cp.exercise_task.done():
                cp.exercise_task.cancel()
            LOG.debug("disconnected %s (%s)", cp_id, ws.close_code)

    def write_summary(reason):
        if not opts.summary:
            return
        try:
            atomic_write(opts.summary, json.dumps(central.summary(), indent=2, default=str) + "\n")
            LOG.info("summary written to %s (%s)", opts.summary, reason)
        except Exception as e:
            LOG.error("could not write summary to %s: %r", opts.summary, e)

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: write_summary("SIGUSR1"))

    ping = opts.ws_ping_interval if opts.ws_ping_interval > 0 else None

    async def listen(port):
        return await websockets_serve(
            on_connect,
            opts.host,
            port,
            subprotocols=[subprotocol],
            select_subprotocol=select_subprotocol,
            process_request=process_request,
            process_response=process_response,
            ping_interval=ping,
            ping_timeout=ping,
            close_timeout=2,
            max_queue=64,
            backlog=4096,
            logger=logging.getLogger("csms.websockets"),
        )

    servers = [await listen(opts.port)]
    port = servers[0].sockets[0].getsockname()[1]
    if opts.port_file:
        atomic_write(opts.port_file, f"{port}\n")
    sys.stdout.write(f"listening on {opts.host}:{port}\n")
    sys.stdout.flush()
    LOG.info("%s (ocpp %s, websockets %s) on ws://%s:%d/<any>/<chargePointId>",
             banner, version_of("ocpp"), websockets.__version__, opts.host, port)

    async def outages():
        began = loop.time()
        index = 0
        while opts.outage_count is None or index < opts.outage_count:
            index += 1
            central.next_outage_at = began + opts.outage_every * index
            delay = central.next_outage_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if opts.outage_refuse == "alternate":
                refusal = "503" if index % 2 == 1 else "close"
            else:
                refusal = opts.outage_refuse
            outage = Outage(index, refusal)
            central.outages.append(outage)
            if refusal == "close":
                # Stop listening: connects are refused by the kernel; a handshake under way
                # gets a 503 from websockets (the server is no longer serving).
                servers[-1].server.close()
            for ws, cp_id in list(live.items()):
                if ws.state is State.OPEN:
                    drop(ws, cp_id, outage)
            # Answers held for this outage are released now, onto connections already gone.
            central.outage_began.set()
            central.outage_began = asyncio.Event()
            if opts.outage_count is not None and index >= opts.outage_count:
                central.next_outage_at = None
            else:
                central.next_outage_at = began + opts.outage_every * (index + 1)
            LOG.warning("outage %d: %d connection(s) dropped, refusing (%s) for %gs",
                        index, len(outage.dropped_cps), refusal, opts.outage_length)
            await asyncio.sleep(opts.outage_length)
            if refusal == "close":
                while True:
                    try:
                        servers.append(await listen(port))
                        break
                    except OSError as e:  # the port is not free again yet
                        central.csms_error(None, None, f"reopening port {port} failed: {e!r}")
                        await asyncio.sleep(0.1)
            outage.end = time.time()
            outage.end_iso = now_iso()
            LOG.warning("outage %d over: accepting again", index)

    outage_task = None
    if opts.outage_every is not None:
        outage_task = asyncio.ensure_future(outages())

    await stop.wait()
    if outage_task is not None:
        outage_task.cancel()
    write_summary("shutdown")
    for server in servers:
        server.close()
    try:
        await asyncio.wait_for(asyncio.gather(*(server.wait_closed() for server in servers)), 3)
    except (asyncio.TimeoutError, Exception):
        pass
    return 0


# --------------------------------------------------------------------------- command line


def add_common_arguments(p: argparse.ArgumentParser, transaction_messages: str, updates: str):
    """The options both peers take. `transaction_messages` and `updates` name, for the help
    text, the messages whose answers are held before an outage."""
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--port-file", help="write the bound port number here (atomically)")
    p.add_argument("--summary", help="write the JSON summary here on SIGTERM/SIGINT/SIGUSR1")
    p.add_argument("--heartbeat-interval", type=int, default=60)
    p.add_argument("--boot-retry-interval", type=int, default=None,
                   help="interval sent with Pending/Rejected boots (default: --heartbeat-interval)")
    p.add_argument("--boot-status", choices=["Accepted", "Pending", "Rejected"], default="Accepted",
                   help="Pending: the first boot of each charge point is Pending, the next Accepted")
    p.add_argument("--basic-auth-password", default=None, metavar="PASSWORD",
                   help="security profile 1: require HTTP Basic authentication, user = charge point id, "
                        "this password (default: no authentication)")
    p.add_argument("--silent-from", type=float, metavar="SECONDS", default=None,
                   help="from SECONDS after start, answer no CALL (connections stay open) ...")
    p.add_argument("--silent-for", type=float, metavar="SECONDS", default=None,
                   help="... for this long (required with --silent-from)")
    p.add_argument("--answer-delay", type=float, metavar="SECONDS", default=0.0,
                   help="delay every answer by SECONDS (a slow backend)")
    p.add_argument("--exercise-max", type=int, default=20, help="charge points to exercise (at most)")
    p.add_argument("--exercise-timeout", type=float, default=30.0,
                   help="seconds to wait for the messages an exercise step causes (transactions, reports, ...)")
    p.add_argument("--exercise-pace", type=float, default=1.0, metavar="FACTOR",
                   help="scales the random pauses between exercise steps (0: none; default 1)")
    p.add_argument("--call-timeout", type=float, default=30.0, help="seconds to wait for an answer to our CALL")
    p.add_argument("--ws-ping-interval", type=float, default=20.0, help="WebSocket ping interval; 0 disables")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    outage = p.add_argument_group("outages", "drop every connection periodically and refuse new ones for a while")
    outage.add_argument("--outage-every", type=float, metavar="SECONDS",
                        help="begin an outage every SECONDS after start (enables outage mode)")
    outage.add_argument("--outage-length", type=float, metavar="SECONDS", default=None,
                        help="how long each outage refuses connections (required with --outage-every)")
    outage.add_argument("--outage-count", type=int, metavar="N", default=None,
                        help="stop after N outages (default: no limit)")
    outage.add_argument("--outage-close-share", type=float, default=0.25, metavar="FRACTION",
                        help="share of dropped connections closed with a close frame (1012) instead of "
                             "a transport abort (default: 0.25)")
    outage.add_argument("--outage-hold", type=float, default=2.0, metavar="SECONDS",
                        help=f"for this long before each outage, {transaction_messages} are recorded but not "
                             "answered: the outage drops them unanswered and the charge point must replay "
                             "them (default: 2; 0 disables)")
    outage.add_argument("--outage-hold-meter-values", type=float, default=0.5, metavar="SECONDS",
                        help=f"the same for {updates} (default: 0.5; 0 disables)")
    outage.add_argument("--outage-refuse", choices=["alternate", "503", "close"], default="alternate",
                        help="how connections are refused: HTTP 503 on the handshake, the listening socket "
                             "closed, or one and the other by turns (default)")


def check_common_arguments(p: argparse.ArgumentParser, opts):
    """Cross-option checks of add_common_arguments; exits through p.error."""
    if (opts.silent_from is None) != (opts.silent_for is None):
        p.error("--silent-from and --silent-for go together")
    if opts.silent_for is not None and opts.silent_for <= 0:
        p.error("--silent-for must be positive")
    if opts.answer_delay < 0:
        p.error("--answer-delay must not be negative")
    if opts.exercise_pace < 0:
        p.error("--exercise-pace must not be negative")
    if opts.basic_auth_password is not None and not opts.basic_auth_password:
        p.error("--basic-auth-password must not be empty")
    if opts.outage_every is not None:
        if opts.outage_every <= 0:
            p.error("--outage-every must be positive")
        if opts.outage_length is None or not (0 < opts.outage_length < opts.outage_every):
            p.error("--outage-length is required with --outage-every, positive and shorter than it")
        if opts.outage_count is not None and opts.outage_count < 1:
            p.error("--outage-count must be at least 1")
        if not (0 <= opts.outage_close_share <= 1):
            p.error("--outage-close-share must lie in [0, 1]")
        for name in ("outage_hold", "outage_hold_meter_values"):
            if not (0 <= getattr(opts, name) <= opts.outage_every - opts.outage_length):
                p.error(f"--{name.replace('_', '-')} must lie between 0 and the time between outages")
    elif opts.outage_length is not None or opts.outage_count is not None:
        p.error("--outage-length and --outage-count need --outage-every")
    if opts.boot_retry_interval is None:
        opts.boot_retry_interval = opts.heartbeat_interval


def run_main(parse_args, run, argv=None) -> int:
    """Entry point shared by both peers: signals unblocked, logging to stderr, the run."""
    # A parent that spawned us from a thread with signals blocked (Swift's Foundation.Process
    # from a test or a service group does) hands that mask down: SIGTERM would never arrive.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1})
    opts = parse_args(argv)
    level = getattr(logging, opts.log_level.upper())
    logging.basicConfig(stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    OCPP_LOG.setLevel(logging.DEBUG if level <= logging.DEBUG else logging.CRITICAL)
    logging.getLogger("csms.websockets").setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
    try:
        return asyncio.run(run(opts))
    except KeyboardInterrupt:
        return 0
