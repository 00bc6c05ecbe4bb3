import Foundation
import PeerSupport
import Testing

// Nested in EndToEndTests, whose .serialized trait they inherit: these suites start fleets as
// processes, and running them beside the 25 s smoke run would make its timings the machine's load.
extension EndToEndTests {
    /// deploy/kubernetes/ as a user applies it: the manifests against the Kubernetes schemas (PyPI
    /// `kubernetes-validate`, in the test peer's venv), the Job's shard count consistent, the
    /// ConfigMap's fleet a valid spec, and `collect-reports` merging shard logs into one report.
    @Suite("Kubernetes deployment", .serialized, .timeLimit(.minutes(5)))
    struct DeployTests {
        static let directory = EndToEndTests.root.appendingPathComponent("deploy/kubernetes")
        static let manifests = ["configmap.yaml", "secret.yaml", "csms.yaml", "job.yaml"]

        /// The venv's python, or nil (a loud skip, a failure under CI=true) without one.
        static func python(_ test: String) -> String? {
            switch PeerPython.locate() {
            case .found(let python):
                return python
            case .missing(let note, let isFailure):
                if isFailure { Issue.record("\(test): \(note)") } else { PeerPython.announceSkip(test, note) }
                return nil
            }
        }

        /// Runs `executable` with `arguments`; its exit code and stdout + stderr, in order.
        static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                        output: URL? = nil) throws -> (code: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.currentDirectoryURL = EndToEndTests.root
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            if let output { try data.write(to: output) }
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        /// Every document of the manifests, as JSON objects (PyYAML reads them).
        static func documents(python: String) throws -> [[String: Any]] {
            let script = "import sys, json, yaml; print(json.dumps([d for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d]))"
            let (code, output) = try run(python, ["-c", script] + (manifests + ["kustomization.yaml"]).map {
                directory.appendingPathComponent($0).path
            })
            #expect(code == 0, "\(output)")
            return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        }

        @Test("The manifests validate against the Kubernetes schemas (strict: no unknown keys)")
        func schemas() throws {
            guard let python = Self.python("kubernetes-validate") else { return }
            let validator = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("kubernetes-validate").path
            let (code, output) = try Self.run(validator, ["--strict"] + Self.manifests.map {
                Self.directory.appendingPathComponent($0).path
            })
            #expect(code == 0, "\(output)")
            // Every document was checked (ConfigMap, Secret, Deployment, Service, Job).
            #expect(output.components(separatedBy: "passed").count - 1 == 5, "\(output)")
        }

        @Test("The Dockerfile passes hadolint: multi-stage, a non-root user, ocpp-fleet as the entry point")
        func dockerfile() throws {
            let text = try String(contentsOf: EndToEndTests.root.appendingPathComponent("Dockerfile"), encoding: .utf8)
            let stages = text.split(separator: "\n").filter { $0.hasPrefix("FROM ") }
            #expect(stages.count == 2 && stages[0].contains("swift:6") && stages[0].hasSuffix(" AS build"), "\(stages)")
            #expect(text.contains("\nUSER 10001:10001\n"))
            #expect(text.contains("ENTRYPOINT [\"/usr/local/bin/ocpp-fleet\"]"))
            #expect(text.contains("COPY fleets /fleets"))
            guard let python = Self.python("hadolint") else { return }
            let hadolint = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("hadolint").path
            let (code, output) = try Self.run(hadolint, ["--no-color", "Dockerfile"])
            #expect(code == 0, "\(output)")
        }

        @Test("The Job is Indexed, runs as many shards as completions and parallelism, and is scraped")
        func indexedJob() throws {
            guard let python = Self.python("deploy manifests") else { return }
            let documents = try Self.documents(python: python)
            let job = try #require(documents.first { $0["kind"] as? String == "Job" })
            let spec = try #require(job["spec"] as? [String: Any])
            #expect(spec["completionMode"] as? String == "Indexed")
            let completions = try #require(spec["completions"] as? Int)
            #expect(spec["parallelism"] as? Int == completions)
            let pod = try #require((spec["template"] as? [String: Any]))
            let annotations = try #require((pod["metadata"] as? [String: Any])?["annotations"] as? [String: String])
            #expect(annotations["prometheus.io/scrape"] == "true")
            let container = try #require(((pod["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?.first)
            let arguments = try #require(container["args"] as? [String])
            let shards = try #require(arguments.firstIndex(of: "--shards"))
            #expect(arguments[shards + 1] == String(completions), "--shards must equal completions")
            #expect(annotations["prometheus.io/port"] == arguments.first { $0.hasPrefix("0.0.0.0:") }.map { String($0.dropFirst(8)) })
            let requests = try #require((container["resources"] as? [String: Any])?["requests"] as? [String: Any])
            #expect(requests["cpu"] != nil && requests["memory"] != nil)
            // The password comes from the Secret, never from the manifest.
            let environment = try #require(container["env"] as? [[String: Any]])
            let password = try #require(environment.first { $0["name"] as? String == "CSMS_PASSWORD" })
            #expect(password["value"] == nil)
            #expect(((password["valueFrom"] as? [String: Any])?["secretKeyRef"] as? [String: Any])?["name"] as? String
                    == "ocpp-fleet-credentials")
            let secret = try #require(documents.first { $0["kind"] as? String == "Secret" })
            #expect((secret["stringData"] as? [String: String])?.values.allSatisfy(\.isEmpty) == true, "no secret committed")
            let kustomization = try #require(documents.first { $0["kind"] as? String == "Kustomization" })
            #expect((kustomization["resources"] as? [String])?.contains("secret.yaml") == false)
        }

        @Test("The ConfigMap's fleet spec is valid")
        func configMapSpec() throws {
            guard let python = Self.python("deploy manifests") else { return }
            let documents = try Self.documents(python: python)
            let configMap = try #require(documents.first { $0["kind"] as? String == "ConfigMap" })
            let yaml = try #require((configMap["data"] as? [String: String])?["fleet.yaml"])
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("configmap-\(UUID()).yaml")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data(yaml.utf8).write(to: file)
            let (code, output) = try Self.run(try EndToEndTests.binary().path, ["validate", file.path])
            #expect(code == 0, "\(output)")
        }

        @Test("collect-reports cuts each shard's report out of its pod log and merges them")
        func collectReports() throws {
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("collect-\(UUID())")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let binary = try EndToEndTests.binary().path
            // Two shards as the Job runs them: --format json, stdout and stderr in one log, as
            // `kubectl logs` shows them.
            for index in 0..<2 {
                let (code, output) = try Self.run(
                    binary, ["run", "fleets/smoke.yaml", "--charge-points", "12", "--duration", "5s", "--format", "json"],
                    environment: ["OCPP_FLEET_SHARD": "\(index)/2"], output: work.appendingPathComponent("pod-\(index).log"))
                #expect(code == 0, "\(output)")
            }
            // kubectl, answering the script's questions from those logs.
            let kubectl = work.appendingPathComponent("kubectl")
            try Data("""
                #!/usr/bin/env bash
                case "$*" in
                  *"get job"*completionMode*) echo -n Indexed ;;
                  *"get job"*completions*) echo -n 2 ;;
                  *"get job"*active*) echo -n "" ;;
                  *"get pods"*"completion-index=0"*) echo -n pod-0 ;;
                  *"get pods"*"completion-index=1"*) echo -n pod-1 ;;
                  *"logs pod-"*) cat "\(work.path)/${@: -1}.log" ;;
                  *) echo "kubectl: unexpected $*" >&2; exit 1 ;;
                esac
                """.utf8).write(to: kubectl)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: kubectl.path)
            let out = work.appendingPathComponent("out")
            let (code, output) = try Self.run(
                Self.directory.appendingPathComponent("collect-reports").path, ["--job", "ocpp-fleet", "--out", out.path],
                environment: ["KUBECTL": kubectl.path, "OCPP_FLEET": binary])
            #expect(code == 0, "\(output)")
            #expect(output.contains("2 of 2 shard reports merged"), "\(output)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json")))
                as? [String: Any])
            #expect(EndToEndTests.jsonNumber("chargePoints.configured", report) == 12)
            #expect(EndToEndTests.jsonNumber("chargePoints.bootAccepted", report) == 12)
            #expect((report["warnings"] as? [String])?.contains { $0.contains("shard") } == false)
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.md").path))
        }
    }
}
