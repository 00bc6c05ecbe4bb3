# ocpp-fleet as a container image: a release binary with the Swift standard library linked in
# statically, on a slim Debian, run as a non-root user. The example fleets are baked in at
# /fleets; mount your own there (or anywhere) to run them.
#
#   docker build -t ocpp-fleet .
#   docker run --rm ocpp-fleet validate /fleets/smoke.yaml
#   docker run --rm -v "$PWD/myfleets:/fleets:ro" ocpp-fleet run /fleets/depot.yaml --csms ws://backend:9000/ocpp
#
# Kubernetes: deploy/kubernetes/ (an Indexed Job of shards); docs/scaling.md.

# --- build -----------------------------------------------------------------------------------
# The official Swift image matching the toolchain the project is developed with (6.3.1 on Debian
# bookworm): the same glibc as the runtime image below.
FROM swift:6.3.1-bookworm AS build
WORKDIR /src
# The manifest and the sources SwiftPM checks for every target (tests included: it refuses a
# manifest whose target folders are missing), then the fetch of the dependencies, cached in
# its own layer while Package.swift does not change.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift package resolve
RUN swift build -c release --static-swift-stdlib --product ocpp-fleet \
 && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/ocpp-fleet" /out/ocpp-fleet

# --- run -------------------------------------------------------------------------------------
FROM debian:bookworm-slim
# ca-certificates: wss:// backends signed by a public CA; tzdata: timestamps in logs. Not pinned
# (DL3008): bookworm's security updates replace the old versions, and a pin would break the build.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --create-home --home-dir /home/fleet fleet
COPY --from=build /out/ocpp-fleet /usr/local/bin/ocpp-fleet
COPY fleets /fleets
USER 10001:10001
WORKDIR /home/fleet
# Prometheus (run --prometheus 0.0.0.0:9464) and the embedded CSMS (serve --host 0.0.0.0 --port 9000).
EXPOSE 9464 9000
ENTRYPOINT ["/usr/local/bin/ocpp-fleet"]
CMD ["--help"]
