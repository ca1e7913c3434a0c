import Foundation
import GantryMath
import Testing

/// Several real processes on one store (`gantry stdio` workers, each its own `AgentGantry`)
/// converge on one state: what one stores, the others serve once they follow the store, and no
/// stale process's write undoes another's — on a SQLite file, and on PostgreSQL when the tests
/// have a server. Convergence is polled for up to 30 s, never timed.
@Suite("Processes converge")
struct ConvergenceTests {
    static var tools: [[String: Any]] { [
        ["name": "cancel_subscription", "description": "End the plan for good and stop future charges."],
        ["name": "pause_subscription", "description": "Pause billing for a while; the plan resumes later."],
        ["name": "restart_service", "description": "Restart a production service or deployment."],
        ["name": "slack_notify", "description": "Post a message to a Slack channel."],
        ["name": "send_email", "description": "Send an email to a customer or a colleague."],
    ] }

    /// A new store of `kind`: a SQLite file in a new folder, or a new schema of the test
    /// PostgreSQL server's database (`GANTRY_TEST_POSTGRES_URL`); the folder is for removing.
    static func temporaryStore(_ kind: StoreKind) -> (folder: String, store: String) {
        let id = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let folder = NSTemporaryDirectory() + "gantry-converge-\(id)"
        switch kind {
        case .sqlite: return (folder, folder + "/gantry.sqlite")
        case .postgres: return (folder, StoreKind.postgresURL!.appendingSearchPath("converge_\(id)"))
        }
    }

    /// The issue's own check: A corrects a query, trips a breaker and removes a tool; B, open all
    /// along, shows all three.
    @Test(arguments: StoreKind.available)
    func aRunningProcessSeesCorrectionsBreakersAndRemovals(_ kind: StoreKind) throws {
        let (folder, store) = Self.temporaryStore(kind)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = try StdioGantry(store: store), b = try StdioGantry(store: store)
        try a.send(["op": "register", "tools": Self.tools])
        #expect(try eventually { try b.tools().count == Self.tools.count })

        let query = "cancel my subscription"
        #expect(try b.retrieve(query).first?["tool"] as? String == "cancel_subscription")
        try a.send(["op": "feedback", "query": query, "selected": "cancel_subscription", "correct": "pause_subscription"])
        for _ in 0..<5 { try a.send(["op": "execution", "tool": "restart_service", "outcome": "timeout"]) }
        try a.send(["op": "remove", "tool": "slack_notify"])

        #expect(try eventually {
            let first = try b.retrieve(query).first
            return first?["tool"] as? String == "pause_subscription" && first?["pinned"] as? Bool == true
        })
        #expect(try eventually { try b.breaker("restart_service") == "open" })
        #expect(try !b.retrieve("restart the production service", limit: 5).contains { $0["tool"] as? String == "restart_service" })
        #expect(try eventually { try !b.tools().contains("slack_notify") })
        #expect(try !b.retrieve("post a message to the team channel", limit: 5).contains { $0["tool"] as? String == "slack_notify" })
    }

    /// B, which has not followed A's removal, registers the same definition again: nothing is
    /// written (it is unchanged for B), so the removal stands — in the store and, once B has
    /// caught up, in B. On SQLite only: on PostgreSQL a commit notifies every process at once
    /// (LISTEN/NOTIFY), so B cannot be kept stale from outside; the rule is the facade's, one
    /// code path for both stores.
    @Test(arguments: [StoreKind.sqlite])
    func aStaleReRegistrationDoesNotBringBackARemovedTool(_ kind: StoreKind) throws {
        let (folder, store) = Self.temporaryStore(kind)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = try StdioGantry(store: store)
        try a.send(["op": "register", "tools": Self.tools])
        let b = try StdioGantry(store: store, followMilliseconds: 3_600_000)  // never follows on its own
        #expect(try b.tools().contains("slack_notify"))
        try a.send(["op": "remove", "tool": "slack_notify"])
        try b.send(["op": "register", "tools": Self.tools])
        #expect(try !b.tools().contains("slack_notify"))  // its write caught up through the log
        #expect(try !StdioGantry(store: store).tools().contains("slack_notify"))
        #expect(try !a.tools().contains("slack_notify"))
        // Registering it once B knows it is gone is a deliberate registration.
        try b.send(["op": "register", "tools": [Self.tools[3]]])
        #expect(try eventually { try a.tools().contains("slack_notify") })
    }

    /// A trips a breaker; B, stale, records a late success of the tool. No process's copy
    /// overwrites another's: A, B and a process opened now all fold the same outcomes.
    @Test(arguments: StoreKind.available)
    func noStaleBreakerWriteWins(_ kind: StoreKind) throws {
        let (folder, store) = Self.temporaryStore(kind)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = try StdioGantry(store: store)
        try a.send(["op": "register", "tools": Self.tools])
        let b = try StdioGantry(store: store, followMilliseconds: 3_600_000)
        for _ in 0..<5 { try a.send(["op": "execution", "tool": "restart_service", "outcome": "failure"]) }
        #expect(try a.breaker("restart_service") == "open")
        try b.send(["op": "execution", "tool": "restart_service", "outcome": "success"])  // B still saw it closed
        #expect(try b.breaker("restart_service") == "open")
        #expect(try eventually { try a.breaker("restart_service") == "open" })
        #expect(try StdioGantry(store: store).breaker("restart_service") == "open")
    }

    /// `forget(user:)` in one process reaches another that has the user's correction in memory.
    @Test(arguments: StoreKind.available)
    func forgetElsewhereReachesARunningProcess(_ kind: StoreKind) throws {
        let (folder, store) = Self.temporaryStore(kind)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = try StdioGantry(store: store), b = try StdioGantry(store: store)
        try a.send(["op": "register", "tools": Self.tools])
        let query = "please notify the on-call team"
        try a.send(["op": "feedback", "query": query, "selected": "slack_notify", "correct": "send_email", "user": "mallory"])
        func feedback(_ gantry: StdioGantry) throws -> Double {
            let match = try gantry.retrieve(query, limit: 5).first { $0["tool"] as? String == "send_email" }
            return (match?["signals"] as? [String: Any])?["feedback"] as? Double ?? -1
        }
        #expect(try eventually { try feedback(b) > 0.99 })
        #expect(try a.send(["op": "forget", "user": "mallory"])["events"] as? Int == 1)
        #expect(try eventually { try feedback(b) == 0 })
    }

    /// Three processes write at once — registrations, changes, removals, corrections by several
    /// teams, executions that trip breakers — each seeing its own writes first and the others'
    /// later, in another order. Once they have followed the store, all three and a process that
    /// opens it now rank every probe query alike, signal by signal, and agree on tools and
    /// breakers.
    @Test(arguments: StoreKind.available)
    func processesConvergeOnOneLearnedState(_ kind: StoreKind) throws {
        let (folder, store) = Self.temporaryStore(kind)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let workers = try (0..<3).map { _ in try StdioGantry(store: store) }
        let names = (0..<8).map { "tool_\($0)" }
        let topics = ["billing invoices", "calendar meetings", "server restarts", "chat messages", "customer emails", "flight bookings",
                      "weather forecasts", "file uploads"]
        func definition(_ i: Int, revision: Int) -> [String: Any] {
            ["name": names[i], "description": "Handles \(topics[i]) (revision \(revision))."]
        }
        try workers[0].send(["op": "register", "tools": (0..<8).map { definition($0, revision: 0) }])
        for worker in workers { #expect(try eventually { try worker.tools().count == 8 }) }

        let queries = ["pay the invoice", "book a meeting", "restart the api", "message the team", "email the client", "fly to Paris",
                       "will it rain", "upload the report"]
        var random = SplitMix64(seed: 16)
        for _ in 0..<10 {
            var sent = [Int](repeating: 0, count: workers.count)
            for _ in 0..<12 {
                for (w, worker) in workers.enumerated() {
                    let roll = random.next() % 100, tool = Int(random.next() % 8)
                    let team = ["A", "B", "C"][Int(random.next() % 3)]
                    switch roll {
                    case 0..<40:
                        try worker.write(["op": "feedback", "query": queries[Int(random.next() % 8)], "correct": names[tool], "team": team, "user": "u\(w)"])
                    case 40..<85:
                        let outcome = tool == 2 || random.next() % 10 == 0 ? "failure" : "success"
                        try worker.write(["op": "execution", "tool": names[tool], "outcome": outcome, "team": team, "latencyMs": 10 + Double(random.next() % 90)])
                    case 85..<95:
                        try worker.write(["op": "register", "tools": [definition(tool, revision: Int(random.next() % 3))]])
                    default:
                        try worker.write(["op": "remove", "tool": names[tool]])
                    }
                    sent[w] += 1
                }
            }
            // Each worker answers every request (an error when another removed the tool first).
            for (w, worker) in workers.enumerated() { for _ in 0..<sent[w] { _ = try worker.readAnswer() } }
        }
        // Every tool back (tool_2's breaker, tripped by its failures, comes back with it).
        try workers[1].send(["op": "register", "tools": (0..<8).map { definition($0, revision: 0) }])

        /// Everything a caller can observe, as numbers by key: the tools, their breakers, and
        /// for each query every match's signals, score and pin (tools `half_open` left out: which
        /// retrievals were probes is each process's own).
        func observed(_ worker: StdioGantry) throws -> [String: Double] {
            var seen = [String: Double]()
            let tools = try worker.tools()
            for tool in tools { seen["breaker \(tool) \(try worker.breaker(tool))"] = 1 }
            for query in queries {
                for team in ["A", "B"] {
                    for match in try worker.retrieve(query, limit: 20, team: team) where match["breaker"] as? String != "half_open" {
                        let key = "\(query) \(team) \(match["tool"] as? String ?? "?")"
                        seen[key + " score"] = match["score"] as? Double
                        seen[key + " pinned"] = match["pinned"] as? Bool == true ? 1 : 0
                        for (signal, value) in match["signals"] as? [String: Double] ?? [:] { seen[key + " " + signal] = value }
                    }
                }
            }
            return seen
        }
        func agree(_ x: [String: Double], _ y: [String: Double]) -> Bool {
            x.keys == y.keys && x.allSatisfy { abs($0.value - y[$0.key]!) < 1e-4 }  // the feedback half-life reads each one's clock
        }
        let opened = try observed(try StdioGantry(store: store))
        #expect(opened.keys.contains { $0.hasSuffix("feedback") } && opened.keys.contains { $0.hasPrefix("breaker tool_2 open") },
                "\(opened.keys.filter { $0.hasPrefix("breaker") }.sorted())")
        for (w, worker) in workers.enumerated() {
            var last = [String: Double]()
            #expect(try eventually { last = try observed(worker); return agree(last, opened) },
                    "worker \(w) differs: \(Self.differences(last, opened).prefix(8))")
        }
    }

    /// The keys where two observations differ, with both values (nil: missing on that side).
    static func differences(_ x: [String: Double], _ y: [String: Double]) -> [String] {
        Set(x.keys).union(y.keys).sorted().compactMap { key in
            if let a = x[key], let b = y[key], abs(a - b) < 1e-4 { return nil }
            return "\(key): \(x[key].map { String($0) } ?? "none") vs \(y[key].map { String($0) } ?? "none")"
        }
    }
}
