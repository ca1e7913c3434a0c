import Foundation
import Testing

/// `gantry store backup`, `restore` and `copy` move a store whole: a SQLite store written by a
/// real `gantry stdio` process (tools, a correction, a tripped breaker, a removal) is backed up,
/// restored into PostgreSQL when the tests have a server (into another file otherwise), copied
/// from there into a new file, and a process on that last copy serves what the first one did.
@Suite("Moving stores")
struct StoreTransferTests {
    @Test func aStoreMovesToPostgreSQLAndBackWithNothingLost() throws {
        let id = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let folder = NSTemporaryDirectory() + "gantry-transfer-\(id)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let original = folder + "/original.sqlite", backup = folder + "/backup.sqlite", final = folder + "/final.sqlite"
        let query = "cancel my subscription"
        do {
            let writer = try StdioGantry(store: original)
            _ = try writer.send(["op": "register", "tools": ConvergenceTests.tools])
            _ = try writer.send(["op": "feedback", "query": query, "selected": "cancel_subscription", "correct": "pause_subscription"])
            for _ in 0..<5 { _ = try writer.send(["op": "execution", "tool": "restart_service", "outcome": "timeout"]) }
            _ = try writer.send(["op": "remove", "tool": "slack_notify"])
        }
        let originalBytes = try Data(contentsOf: URL(fileURLWithPath: original))
        let backedUp = try runGantry(["store", "backup", "--from", original, "--to", backup])
        #expect(backedUp.status == 0 && backedUp.output.contains("a backup of"), "\(backedUp.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: original)) == originalBytes, "the backup wrote to its source")
        let again = try runGantry(["store", "backup", "--from", original, "--to", backup])
        #expect(again.status != 0 && again.output.contains("exists"), "a second backup onto the first: \(again.output)")

        let middle = StoreKind.postgresURL.map { $0.appendingSearchPath("transfer_\(id)") } ?? folder + "/middle.sqlite"
        let restored = try runGantry(["store", "restore", "--from", backup, "--to", middle])
        #expect(restored.status == 0 && restored.output.contains("tools 4, feedback events 1, execution events 5"), "\(restored.output)")
        let overwrite = try runGantry(["store", "restore", "--from", backup, "--to", middle])
        #expect(overwrite.status != 0 && overwrite.output.contains("a copy goes into a new store"), "a restore onto a store in use: \(overwrite.output)")
        if StoreKind.postgresURL == nil {  // the middle is a file: copy into an existing empty store, through StoreCopy
            #expect(try runGantry(["store", "info", "--create", "--store", final]).status == 0)
        }
        let copied = try runGantry(["store", "copy", "--from", middle, "--to", "final.sqlite"], in: folder)  // a relative path
        #expect(copied.status == 0 && copied.output.contains("tools 4, feedback events 1, execution events 5"), "\(copied.output)")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".partial-") }
        #expect(left.isEmpty, "temporaries left beside the copy: \(left)")

        let reader = try StdioGantry(store: final)
        #expect(try reader.tools().sorted() == ["cancel_subscription", "pause_subscription", "restart_service", "send_email"])
        let first = try reader.retrieve(query).first
        #expect(first?["tool"] as? String == "pause_subscription" && first?["pinned"] as? Bool == true, "\(String(describing: first))")
        #expect(try reader.breaker("restart_service") == "open")
    }

    /// Commands that read a store never create one: a URL naming a database or schema without a
    /// store is refused, twice (the first refusal wrote nothing), as a missing file is.
    @Test(arguments: StoreKind.available)
    func commandsThatReadAStoreRefuseOneThatDoesNotExist(_ kind: StoreKind) throws {
        let id = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let missing = kind == .postgres ? StoreKind.postgresURL!.appendingSearchPath("missing_\(id)") : NSTemporaryDirectory() + "missing-\(id).sqlite"
        let target = NSTemporaryDirectory() + "gantry-never-\(id).sqlite"
        for arguments in [["store", "info", "--store", missing], ["store", "info", "--store", missing],
                          ["store", "copy", "--from", missing, "--to", target], ["train", "--store", missing]] {
            let run = try runGantry(arguments)
            #expect(run.status == 1 && (run.output.contains("holds no AgentGantry store") || run.output.contains("not found")),
                    "\(arguments): \(run.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: target) && !FileManager.default.fileExists(atPath: missing))
    }

    /// A file that is not a store — empty, or another program's SQLite database — is refused and
    /// left as it was; a URL of another scheme (a misspelt postgres://) is a usage error that
    /// shows no password and creates nothing.
    @Test func whatIsNotAStoreIsRefusedAndLeftAlone() throws {
        let folder = NSTemporaryDirectory() + "gantry-notstore-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let empty = folder + "/empty.sqlite"
        FileManager.default.createFile(atPath: empty, contents: Data())
        for arguments in [["store", "backup", "--from", empty, "--to", folder + "/b.sqlite"], ["store", "info", "--store", empty]] {
            let run = try runGantry(arguments)
            #expect(run.status == 1 && run.output.contains("is not an AgentGantry store"), "\(arguments): \(run.output)")
        }
        #expect(try FileManager.default.attributesOfItem(atPath: empty)[.size] as? Int == 0)
        let typo = try runGantry(["store", "copy", "--from", empty, "--to", "postgress://router:Secret7@db.internal/gantry"], in: folder)
        #expect(typo.status == 64 && typo.output.contains("scheme 'postgress'") && !typo.output.contains("Secret7"), "\(typo.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["empty.sqlite"])
    }
}
