"""The peer CSMS's exercise of every OCPP 1.6 feature profile beyond Core, and of the
security extension: each CS->CP operation sent to a charge point, one after another,
each answer checked against the status a correct charge point gives in its state, and
the CP->CS notifications they cause (firmware, diagnostics, log, signed firmware,
SignCertificate, security events) awaited.

The sequence is a list of steps; the step reached is kept per charge point (CPState),
so a step that reboots the charge point (UpdateFirmware, SignedUpdateFirmware, Reset)
is not sent twice: the sequence resumes on the next connection after the boot.

Used by csms.py with --exercise-profiles. Needs the PyPI `cryptography` package (a
throwaway CA made at start-up signs the charge point's CSR and plays the
CentralSystemRootCertificate).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import random

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ocpp.v16 import call

PROFILE_VENDOR_TAGS = ("PEER-LOCAL-1", "PEER-LOCAL-2", "PEER-LOCAL-3")
TERMINAL_FIRMWARE = {"Installed", "InstallationFailed", "DownloadFailed"}
TERMINAL_DIAGNOSTICS = {"Uploaded", "UploadFailed"}
TERMINAL_LOG = {"Uploaded", "UploadFailure", "BadMessage", "NotSupportedOperation", "PermissionDenied"}
TERMINAL_SIGNED_FIRMWARE = {"Installed", "InstallationFailed", "DownloadFailed", "InvalidSignature",
                            "InstallVerificationFailed", "InvalidCertificate", "RevokedCertificate"}
NOTICE_WAIT = 25.0


def _utc(delta_s: float = 0) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delta_s)


def _iso(delta_s: float = 0) -> str:
    return _utc(delta_s).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TestAuthority:
    """A throwaway CA, made once per process: signs CSRs, and is the root we install."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "peer-csms test root"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ocpp-fleet peer")])
        self.cert = (x509.CertificateBuilder()
                     .subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(_utc(-3600)).not_valid_after(_utc(86400 * 30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                  key_encipherment=False, data_encipherment=False,
                                                  key_agreement=False, key_cert_sign=True, crl_sign=True,
                                                  encipher_only=False, decipher_only=False), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM).decode()

    def sign(self, csr_pem: str) -> tuple[str | None, str]:
        """Returns (chain PEM, problem): the leaf for the CSR's subject and key, then the root."""
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode())
        except Exception as e:
            return None, f"CSR does not parse as PEM PKCS#10: {e}"
        if not csr.is_signature_valid:
            return None, "CSR self-signature is invalid"
        leaf = (x509.CertificateBuilder()
                .subject_name(csr.subject).issuer_name(self.cert.subject)
                .public_key(csr.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(_utc(-60)).not_valid_after(_utc(86400 * 7))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(self.key, hashes.SHA256()))
        return leaf.public_bytes(serialization.Encoding.PEM).decode() + self.pem, ""

    def firmware_signer(self) -> str:
        """A firmware signing certificate (not a CA) under this authority, PEM: what a
        SignedUpdateFirmware carries once the authority is the ManufacturerRootCertificate."""
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "peer-csms firmware signer"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ocpp-fleet peer")])
        leaf = (x509.CertificateBuilder()
                .subject_name(name).issuer_name(self.cert.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(_utc(-60)).not_valid_after(_utc(86400 * 7))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(self.key, hashes.SHA256()))
        return leaf.public_bytes(serialization.Encoding.PEM).decode()

    def hash_data(self) -> dict:
        """CertificateHashDataType of the root (whitepaper; RFC 6960 CertID): SHA-256 of the
        issuer's DER name and of the issuer's public key bits, and the serial number in hex."""
        name = self.cert.issuer.public_bytes()
        key = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
        return {"hash_algorithm": "SHA256",
                "issuer_name_hash": hashlib.sha256(name).hexdigest(),
                "issuer_key_hash": hashlib.sha256(key).hexdigest(),
                "serial_number": format(self.cert.serial_number, "x")}


_AUTHORITY: TestAuthority | None = None


def authority() -> TestAuthority:
    global _AUTHORITY
    if _AUTHORITY is None:
        _AUTHORITY = TestAuthority()
    return _AUTHORITY


def same_hash(a: dict, b: dict) -> bool:
    def norm(d):
        serial = str(d.get("serial_number", "")).lower().lstrip("0") or "0"
        return (str(d.get("hash_algorithm")), str(d.get("issuer_name_hash", "")).lower(),
                str(d.get("issuer_key_hash", "")).lower(), serial)
    return norm(a) == norm(b)


class ProfileExercise:
    """The steps, run by one connection's task for one charge point."""

    def __init__(self, cp):
        self.cp = cp  # csms.PeerChargePoint
        self.st = cp.state
        self.c = cp.central

    # ---- helpers

    def miss(self, action, expected, got):
        self.c.mismatch(self.cp.id, action, expected, got)

    async def step(self, payload):
        return await self.cp._step(payload)

    def expect(self, action, expected, got):
        return self.cp._expect(action, expected, got)

    def notices(self, action):
        return [n for (a, n) in self.st.notices if a == action]

    async def await_notice(self, action, predicate, timeout=NOTICE_WAIT, since=0):
        """Waits for a CP->CS message of `action` (index >= since in the per-CP notice log)
        whose payload satisfies `predicate`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, (a, n) in enumerate(self.st.notices):
                if index >= since and a == action and predicate(n):
                    return n
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(0.1)

    async def await_count(self, action, before, timeout=10.0):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.st.actions[action] <= before:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    def connector_free(self, connector=1):
        return connector not in self.st.open_by_connector and self.st.status.get(connector) == "Available"

    # ---- the sequence

    def steps(self):
        return [
            self.local_list,
            self.reservation,
            self.reservation_connector_zero,
            self.smart_charging,
            self.trigger_message,
            self.extended_trigger,
            self.sign_certificate,
            self.certificates,
            self.diagnostics,
            self.get_log,
            self.availability,
            self.update_firmware_send,
            self.update_firmware_wait,
            self.signed_update_firmware_send,
            self.signed_update_firmware_wait,
            self.reset_send,
            self.reset_wait,
        ]

    # Steps that only wait and check: run again from the start when a reboot cut them off.
    def _idempotent(self, step):
        return step.__name__.endswith("_wait")

    async def run(self):
        steps = self.steps()
        while self.st.profile_stage < len(steps):
            stage = self.st.profile_stage
            step = steps[stage]
            await asyncio.sleep(random.uniform(0.05, 0.2))
            if self._idempotent(step):
                await step()
                self.st.profile_stage = stage + 1
            else:
                # Counted as done before the reboot it may cause cancels this task: never sent twice.
                self.st.profile_stage = stage + 1
                await step()
        self.st.profiles_done = True

    async def local_list(self):
        res = await self.step(call.GetLocalListVersion())
        if res is None:
            return
        self.expect("GetLocalListVersion", {0, -1} if res.list_version <= 0 else {0}, res.list_version)
        base = max(res.list_version, 0)
        entries = [{"id_tag": tag, "id_tag_info": {"status": "Accepted", "expiry_date": _iso(86400)}}
                   for tag in PROFILE_VENDOR_TAGS[:2]]
        res = await self.step(call.SendLocalList(list_version=base + 1, update_type="Full",
                                                 local_authorization_list=entries))
        if res is None or not self.expect("SendLocalList", "Accepted", res.status):
            return
        res = await self.step(call.GetLocalListVersion())
        if res is not None:
            self.expect("GetLocalListVersion", base + 1, res.list_version)
        # A differential update must carry a newer version than the list's.
        res = await self.step(call.SendLocalList(list_version=base + 1, update_type="Differential",
                                                 local_authorization_list=[
                                                     {"id_tag": PROFILE_VENDOR_TAGS[2],
                                                      "id_tag_info": {"status": "Blocked"}}]))
        if res is not None:
            self.expect("SendLocalList", "VersionMismatch", res.status)
        res = await self.step(call.SendLocalList(list_version=base + 2, update_type="Differential",
                                                 local_authorization_list=[
                                                     {"id_tag": PROFILE_VENDOR_TAGS[2],
                                                      "id_tag_info": {"status": "Blocked"}},
                                                     {"id_tag": PROFILE_VENDOR_TAGS[0]}]))
        if res is not None:
            self.expect("SendLocalList", "Accepted", res.status)
        res = await self.step(call.GetLocalListVersion())
        if res is not None:
            self.expect("GetLocalListVersion", base + 2, res.list_version)

    async def _reserve_and_cancel(self, connector, reservation_id):
        free = self.connector_free(1) if connector == 1 else any(
            self.connector_free(k) for k in self.st.status if k > 0)
        res = await self.step(call.ReserveNow(connector_id=connector, expiry_date=_iso(120),
                                              id_tag="PEER-RESERVE", reservation_id=reservation_id))
        if res is None:
            return
        if not free:
            self.expect("ReserveNow", {"Accepted", "Occupied", "Faulted", "Unavailable", "Rejected"}, res.status)
        elif res.status != "Accepted":
            # A driver may have taken the connector an instant earlier: then its status shows it.
            await asyncio.sleep(1.0)
            if self.connector_free(1) if connector == 1 else True:
                self.expect("ReserveNow", "Accepted", res.status)
        if res.status == "Accepted":
            if connector == 1:
                seen = await self.await_count_status(1, "Reserved")
                if not seen:
                    self.miss("ReserveNow", "StatusNotification Reserved for connector 1", "none within 5s")
            res = await self.step(call.CancelReservation(reservation_id=reservation_id))
            if res is not None:
                self.expect("CancelReservation", "Accepted", res.status)
        res = await self.step(call.CancelReservation(reservation_id=reservation_id + 1000))
        if res is not None:
            self.expect("CancelReservation", "Rejected", res.status)

    async def await_count_status(self, connector, status, timeout=5.0):
        return await self.await_notice("StatusNotification",
                                       lambda n: n.get("connector_id") == connector and n.get("status") == status,
                                       timeout=timeout) is not None

    async def reservation(self):
        await self._reserve_and_cancel(1, 9001)

    async def reservation_connector_zero(self):
        await self._reserve_and_cancel(0, 9002)

    async def smart_charging(self):
        default = {"charging_profile_id": 501, "stack_level": 1,
                   "charging_profile_purpose": "TxDefaultProfile", "charging_profile_kind": "Absolute",
                   "charging_schedule": {"start_schedule": _iso(0), "charging_rate_unit": "W",
                                         "charging_schedule_period": [
                                             {"start_period": 0, "limit": 7400.0},
                                             {"start_period": 300, "limit": 3700.0}]}}
        res = await self.step(call.SetChargingProfile(connector_id=0, cs_charging_profiles=default))
        if res is None or not self.expect("SetChargingProfile", "Accepted", res.status):
            return
        cap = {"charging_profile_id": 502, "stack_level": 0,
               "charging_profile_purpose": "ChargePointMaxProfile", "charging_profile_kind": "Absolute",
               "charging_schedule": {"start_schedule": _iso(-60), "charging_rate_unit": "W",
                                     "charging_schedule_period": [{"start_period": 0, "limit": 22000.0}]}}
        res = await self.step(call.SetChargingProfile(connector_id=0, cs_charging_profiles=cap))
        if res is not None:
            self.expect("SetChargingProfile", "Accepted", res.status)
        res = await self.step(call.GetCompositeSchedule(connector_id=1, duration=600, charging_rate_unit="W"))
        if res is not None and self.expect("GetCompositeSchedule", "Accepted", res.status):
            schedule = res.charging_schedule or {}
            periods = schedule.get("charging_schedule_period") or []
            limits = [(p.get("start_period"), p.get("limit")) for p in periods]
            # With no transaction on connector 1 the TxDefaultProfile applies: 7400 W now, 3700 W from ~300 s.
            if 1 not in self.st.open_by_connector:
                ok = (bool(limits) and limits[0][0] == 0 and abs(limits[0][1] - 7400) < 0.01
                      and any(abs(lim - 3700) < 0.01 and 280 <= start <= 310 for start, lim in limits))
                if not ok:
                    self.miss("GetCompositeSchedule", "[0: 7400 W, ~300: 3700 W]", limits)
        res = await self.step(call.GetCompositeSchedule(connector_id=99, duration=600))
        if res is not None:
            self.expect("GetCompositeSchedule", "Rejected", res.status)
        if 1 not in self.st.open_by_connector:
            tx_profile = dict(default, charging_profile_id=503, charging_profile_purpose="TxProfile")
            res = await self.step(call.SetChargingProfile(connector_id=1, cs_charging_profiles=tx_profile))
            if res is not None:
                self.expect("SetChargingProfile", "Rejected", res.status)
        too_high = dict(default, charging_profile_id=504, stack_level=1000)
        res = await self.step(call.SetChargingProfile(connector_id=1, cs_charging_profiles=too_high))
        if res is not None:
            self.expect("SetChargingProfile", "Rejected", res.status)
        res = await self.step(call.ClearChargingProfile(id=501))
        if res is not None:
            self.expect("ClearChargingProfile", "Accepted", res.status)
        res = await self.step(call.ClearChargingProfile(id=99999))
        if res is not None:
            self.expect("ClearChargingProfile", "Unknown", res.status)
        res = await self.step(call.ClearChargingProfile(charging_profile_purpose="ChargePointMaxProfile"))
        if res is not None:
            self.expect("ClearChargingProfile", "Accepted", res.status)

    async def _trigger(self, cls, requested, connector=None, arrives=None):
        arrives = arrives or requested
        before = self.st.actions[arrives]
        kwargs = {"requested_message": requested}
        if connector is not None:
            kwargs["connector_id"] = connector
        res = await self.step(cls(**kwargs))
        action = cls.__name__
        if res is None or not self.expect(action, "Accepted", res.status):
            return
        if not await self.await_count(arrives, before):
            self.miss(action, f"{arrives} after {action}({requested})", "none within 10s")

    async def trigger_message(self):
        for requested, connector in (("Heartbeat", None), ("StatusNotification", 1), ("MeterValues", 1),
                                     ("StatusNotification", None), ("FirmwareStatusNotification", None),
                                     ("DiagnosticsStatusNotification", None), ("BootNotification", None)):
            await self._trigger(call.TriggerMessage, requested, connector)
        res = await self.step(call.TriggerMessage(requested_message="StatusNotification", connector_id=99))
        if res is not None:
            self.expect("TriggerMessage", "Rejected", res.status)

    async def extended_trigger(self):
        for requested, connector, arrives in (("Heartbeat", None, None), ("StatusNotification", 1, None),
                                              ("MeterValues", 1, None), ("BootNotification", None, None),
                                              ("LogStatusNotification", None, None),
                                              ("FirmwareStatusNotification", None,
                                               "SignedFirmwareStatusNotification")):
            await self._trigger(call.ExtendedTriggerMessage, requested, connector, arrives)
        res = await self.step(call.ExtendedTriggerMessage(requested_message="StatusNotification", connector_id=99))
        if res is not None:
            self.expect("ExtendedTriggerMessage", "Rejected", res.status)

    async def sign_certificate(self):
        since = len(self.st.notices)
        res = await self.step(call.ExtendedTriggerMessage(requested_message="SignChargePointCertificate"))
        if res is None or not self.expect("ExtendedTriggerMessage", "Accepted", res.status):
            return
        notice = await self.await_notice("SignCertificate", lambda n: True, since=since)
        if notice is None:
            self.miss("ExtendedTriggerMessage", "SignCertificate after SignChargePointCertificate", "none")
            return
        chain, problem = authority().sign(notice.get("csr", ""))
        if chain is None:
            self.miss("SignCertificate", "a valid PKCS#10 CSR", problem)
            return
        res = await self.step(call.CertificateSigned(certificate_chain=chain))
        if res is not None:
            self.expect("CertificateSigned", "Accepted", res.status)
        res = await self.step(call.CertificateSigned(certificate_chain="-----BEGIN CERTIFICATE-----\nnot a cert\n"
                                                                       "-----END CERTIFICATE-----\n"))
        if res is not None:
            self.expect("CertificateSigned", "Rejected", res.status)

    async def certificates(self):
        ca = authority()
        res = await self.step(call.InstallCertificate(certificate_type="CentralSystemRootCertificate",
                                                      certificate=ca.pem))
        if res is None or not self.expect("InstallCertificate", "Accepted", res.status):
            return
        res = await self.step(call.GetInstalledCertificateIds(certificate_type="CentralSystemRootCertificate"))
        if res is None or not self.expect("GetInstalledCertificateIds", "Accepted", res.status):
            return
        ids = res.certificate_hash_data or []
        want = ca.hash_data()
        if not any(same_hash(entry, want) for entry in ids):
            self.miss("GetInstalledCertificateIds", f"an entry {want}", ids)
        res = await self.step(call.DeleteCertificate(certificate_hash_data=want))
        if res is not None:
            self.expect("DeleteCertificate", "Accepted", res.status)
        res = await self.step(call.DeleteCertificate(certificate_hash_data=dict(want, serial_number="badc0ffee")))
        if res is not None:
            self.expect("DeleteCertificate", "NotFound", res.status)
        res = await self.step(call.InstallCertificate(certificate_type="ManufacturerRootCertificate",
                                                      certificate="-----BEGIN CERTIFICATE-----\nAAAA\n"
                                                                  "-----END CERTIFICATE-----\n"))
        if res is not None:
            self.expect("InstallCertificate", "Rejected", res.status)

    async def diagnostics(self):
        since = len(self.st.notices)
        res = await self.step(call.GetDiagnostics(location="ftp://127.0.0.1/diagnostics/", retries=1,
                                                  retry_interval=2, start_time=_iso(-3600), stop_time=_iso(0)))
        if res is None:
            return
        notice = await self.await_notice("DiagnosticsStatusNotification",
                                         lambda n: n.get("status") in TERMINAL_DIAGNOSTICS, since=since)
        if notice is None:
            self.miss("GetDiagnostics", "DiagnosticsStatusNotification Uploaded|UploadFailed", "none")

    async def get_log(self):
        since = len(self.st.notices)
        request_id = random.randint(1000, 9999)
        res = await self.step(call.GetLog(log={"remote_location": "https://127.0.0.1/logs/"},
                                          log_type="SecurityLog", request_id=request_id, retries=1,
                                          retry_interval=2))
        if res is None or not self.expect("GetLog", "Accepted", res.status):
            return
        notice = await self.await_notice("LogStatusNotification",
                                         lambda n: n.get("request_id") == request_id
                                         and n.get("status") in TERMINAL_LOG, since=since)
        if notice is None:
            self.miss("GetLog", f"LogStatusNotification for request {request_id}", "none")

    async def availability(self):
        busy = 1 in self.st.open_by_connector
        res = await self.step(call.ChangeAvailability(connector_id=1, type="Inoperative"))
        if res is None:
            return
        self.expect("ChangeAvailability", {"Accepted", "Scheduled"} if busy else {"Accepted", "Scheduled"},
                    res.status)
        res = await self.step(call.ChangeAvailability(connector_id=1, type="Operative"))
        if res is not None:
            self.expect("ChangeAvailability", "Accepted", res.status)

    async def update_firmware_send(self):
        self.st.firmware_since = len(self.st.notices)
        await self.step(call.UpdateFirmware(location="https://127.0.0.1/firmware/sim-2.0.1.bin",
                                            retrieve_date=_iso(0), retries=2, retry_interval=3))

    async def update_firmware_wait(self):
        notice = await self.await_notice("FirmwareStatusNotification",
                                         lambda n: n.get("status") in TERMINAL_FIRMWARE,
                                         timeout=40, since=self.st.firmware_since)
        if notice is None:
            self.miss("UpdateFirmware", "FirmwareStatusNotification Installed|…Failed", "none within 40s")

    async def signed_update_firmware_send(self):
        """Whitepaper L01: the charge point verifies the signing certificate against its
        ManufacturerRootCertificate before accepting (L01.FR.23-24) and reports a refusal as
        InvalidFirmwareSigningCertificate (L01.FR.02); a signer under the installed root is Accepted."""
        ca = authority()
        res = await self.step(call.InstallCertificate(certificate_type="ManufacturerRootCertificate", certificate=ca.pem))
        if res is None or not self.expect("InstallCertificate", "Accepted", res.status):
            return
        firmware = {"location": "https://127.0.0.1/firmware/sim-2.0.2.bin",
                    "retrieve_date_time": _iso(0), "install_date_time": _iso(1),
                    "signature": base64.b64encode(b"peer-csms signature").decode()}
        since = len(self.st.notices)
        garbage = "-----BEGIN CERTIFICATE-----\n" + base64.b64encode(b"not a certificate").decode() + "\n-----END CERTIFICATE-----\n"
        res = await self.step(call.SignedUpdateFirmware(request_id=random.randint(1000, 1999), retries=1, retry_interval=2,
                                                        firmware=dict(firmware, signing_certificate=garbage)))
        if res is not None and self.expect("SignedUpdateFirmware", "InvalidCertificate", res.status):
            event = await self.await_notice("SecurityEventNotification",
                                            lambda n: n.get("type") == "InvalidFirmwareSigningCertificate",
                                            timeout=10, since=since)
            if event is None:
                self.miss("SignedUpdateFirmware", "SecurityEventNotification InvalidFirmwareSigningCertificate", "none")
        self.st.firmware_since = len(self.st.notices)
        self.st.signed_request_id = random.randint(1, 999)
        res = await self.step(call.SignedUpdateFirmware(request_id=self.st.signed_request_id, retries=1, retry_interval=2,
                                                        firmware=dict(firmware, signing_certificate=ca.firmware_signer())))
        if res is not None:
            self.st.signed_accepted = self.expect("SignedUpdateFirmware", "Accepted", res.status)

    async def signed_update_firmware_wait(self):
        if not getattr(self.st, "signed_accepted", False):
            return
        request_id = self.st.signed_request_id
        notice = await self.await_notice("SignedFirmwareStatusNotification",
                                         lambda n: n.get("request_id") == request_id
                                         and n.get("status") in TERMINAL_SIGNED_FIRMWARE,
                                         timeout=40, since=self.st.firmware_since)
        if notice is None:
            self.miss("SignedUpdateFirmware", f"SignedFirmwareStatusNotification terminal for {request_id}",
                      "none within 40s")

    async def reset_send(self):
        self.st.boots_before_reset = self.st.boots
        res = await self.step(call.Reset(type="Soft"))
        if res is not None:
            self.expect("Reset", "Accepted", res.status)

    async def reset_wait(self):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 40
        while self.st.boots <= self.st.boots_before_reset:
            if loop.time() >= deadline:
                self.miss("Reset", "a BootNotification after Reset(Soft)", "none within 40s")
                return
            await asyncio.sleep(0.1)
