import Foundation
import GantryEmbed
import GantryIO
import GantryMath
import GRDB
import Testing

@_spi(StoreImplementation) @testable import AgentGantry

/// Which stores open, how, and what they refuse: schema versions from the future, read-only
/// files and mounts, another model's tools and vectors.
@Suite("Opening stores")
struct StoreOpeningTests {
    /// The text-hash embedder as model "hash-a", 16-d; other identities and dimensions stand
    /// for other models.
    static func hashEmbedder(dimension: Int = 16, modelIdentity: String = "hash-a") -> StoreCompatibilityTests.TextHashEmbedder {
        StoreCompatibilityTests.TextHashEmbedder(dimension: dimension, modelIdentity: modelIdentity)
    }

    static let tools = (0..<8).map { Tool(name: "tool_\($0)", description: "Tool number \($0).") }

    /// A store at a new temporary path with the tools and `feedback` corrections to `tool_3`.
    static func makeStore(embedder: StoreCompatibilityTests.TextHashEmbedder = hashEmbedder(), feedback: Int = 0) async throws -> String {
        let path = temporaryStore()
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: embedder)
        try await gantry.register(tools)
        for i in 0..<feedback {
            try await gantry.recordFeedback(query: "request \(i % 4)", selectedTool: "tool_1", correctTool: "tool_3")
        }
        return path
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }

    // MARK: schema versions

    @Test(arguments: ["wal", "delete"])
    func aStoreOfANewerSchemaIsRefusedUntouched(journal: String) async throws {
        let path = try await Self.makeStore()
        defer { Self.remove(path) }
        for mark in ["PRAGMA user_version = 99", "INSERT INTO grdb_migrations VALUES ('v99: from the future')"] {
            let copy = path + ".copy"
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: copy + suffix) }
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            let queue = try DatabaseQueue(path: copy)
            try await queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = \(journal)") }
            try await queue.write { try $0.execute(sql: mark) }
            try queue.close()
            let before = try BinaryFile.read(copy)
            do {
                _ = try await AgentGantry(configuration: GantryConfiguration(storePath: copy), embedder: Self.hashEmbedder())
                Issue.record("a store marked by \(mark) opened")
            } catch {
                let message = error.description
                #expect(message.contains("schema version") && message.contains("up to \(SQLiteStore.schemaVersion)"), "\(message)")
                if mark.hasPrefix("PRAGMA") { #expect(message.contains("version 99"), "\(message)") }
            }
            #expect(try BinaryFile.read(copy) == before)
        }
    }

    /// The events another process counts in the store at `path` (Python's sqlite3: a SQLite
    /// connection of another process, opened and closed).
    static func eventsSeenByAnotherProcess(_ path: String) throws -> Int {
        let process = Process(), output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                             + "print(c.execute('SELECT count(*) FROM event').fetchone()[0]); c.close()", path]
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let count = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw GantryError.store("python3 could not count the events of \(path): \(text)")
        }
        return count
    }

    /// Looking at or opening a store a second time in the process (`holdsStore(at:)`, another
    /// `SQLiteStore`) leaves the open store's POSIX locks in place. Closing a descriptor of the
    /// file that SQLite did not open drops them all: another process opening and closing the
    /// store then took itself for the last connection and deleted the write-ahead log, and the
    /// next write of the open store went to the deleted log, lost to every other process.
    @Test func lookingAtAnOpenStoreAgainKeepsItsLocks() async throws {
        let path = try await Self.makeStore()
        defer { Self.remove(path) }
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: Self.hashEmbedder())
        try await gantry.recordFeedback(query: "first request", selectedTool: nil, correctTool: "tool_3")
        #expect(SQLiteStore.holdsStore(at: path))
        _ = try SQLiteStore(path: path)
        #expect(try Self.eventsSeenByAnotherProcess(path) == 1)
        try await gantry.recordFeedback(query: "second request", selectedTool: nil, correctTool: "tool_3")
        #expect(try Self.eventsSeenByAnotherProcess(path) == 2, "a write after a second look at the store went to a deleted log")
    }

    // MARK: paths and permissions

    @Test func aRelativePathOpensTheStoreItNames() async throws {
        let folder = ".build/gantry-relative-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteStore(path: folder + "/s.sqlite")
        #expect(store.path == FileManager.default.currentDirectoryPath + "/" + folder + "/s.sqlite")
        #expect(FileManager.default.fileExists(atPath: folder + "/s.sqlite"))
    }

    /// Makes the store's folder read-only: a read-only bind mount over it when running as root
    /// (root writes through file permissions), else permissions. Returns the undo.
    static func makeReadOnly(_ path: String) throws -> () -> Void {
        let folder = (path as NSString).deletingLastPathComponent
        if getuid() == 0 {
            try run("/usr/bin/mount", "--bind", folder, folder)
            try run("/usr/bin/mount", "-o", "remount,bind,ro", folder, folder)
            return { try? run("/usr/bin/umount", folder) }
        }
        chmod(path, 0o444)
        chmod(folder, 0o555)
        return { chmod(folder, 0o755); chmod(path, 0o644) }
    }

    static func run(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw GantryError.store("\(arguments.joined(separator: " ")) failed") }
    }

    @Test func aReadOnlyStoreServesReadsAndRefusesWrites() async throws {
        let path = try await Self.makeStore(feedback: 8)
        defer { Self.remove(path) }
        let undo = try Self.makeReadOnly(path)
        defer { undo() }
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: Self.hashEmbedder())
        let matches = try await gantry.retrieveTools("request 1", limit: 3)
        #expect(matches.first?.tool.name == "tool_3" && matches[0].breakdown[.feedback] > 0)
        #expect(try await gantry.exportEvents().split(separator: "\n").count == 8)
        let writes: [@Sendable () async throws -> Void] = [
            { try await gantry.register(Tool(name: "tool_9", description: "One more.")) },
            { try await gantry.recordFeedback(query: "request 2", selectedTool: nil, correctTool: "tool_2") },
            { try await gantry.recordExecution(tool: "tool_2", outcome: .failure) },
            { _ = try await gantry.forget(user: "ann") },
            { _ = try await gantry.train() },
        ]
        for write in writes {
            do {
                try await write()
                Issue.record("a write to a read-only store succeeded")
            } catch let error as GantryError {
                guard case .readOnlyStore(let reason) = error else { Issue.record("\(error)"); continue }
                #expect(reason.contains("read-only"))
            }
        }
        #expect(await gantry.tools.count == Self.tools.count)  // nothing half-applied in memory
    }

    @Test func aReadOnlyStoreThatNeedsAChangeIsRefusedSayingWhy() async throws {
        let path = try await Self.makeStore()
        defer { Self.remove(path) }
        // Another model would embed the tools again; a schema 2 store would need a migration.
        let migrated = path + ".v2"
        try FileManager.default.copyItem(atPath: StoreCompatibilityTests.fixture("store-58323a3.sqlite"), toPath: migrated)
        let undo = try Self.makeReadOnly(path)
        defer { undo() }
        await #expect(throws: GantryError.self) {
            try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: Self.hashEmbedder(modelIdentity: "hash-b"))
        }
        do {
            _ = try await AgentGantry(configuration: GantryConfiguration(storePath: migrated), embedder: StoreCompatibilityTests.TextHashEmbedder())
            Issue.record("a read-only store of schema 2 opened")
        } catch {
            #expect(error.description.contains("needs a migration"), "\(error)")
        }
    }

    // MARK: model identity

    @Test func anotherModelsVectorsAreLeftOutOfMemoryAndTrainingAndCounted() async throws {
        let path = try await Self.makeStore(feedback: 24)
        defer { Self.remove(path) }
        let same = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: Self.hashEmbedder())
        #expect(try await same.retrieveTools("request 1", limit: 3)[0].breakdown[.feedback] > 0)
        #expect(try await same.exportEvents().contains(#""model":"hash-a""#))

        // Same dimension, another identity (another model, or another precision of one).
        let other = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: Self.hashEmbedder(modelIdentity: "hash-b"))
        let matches = try await other.retrieveTools("request 1", limit: 8)
        #expect(matches.allSatisfy { $0.breakdown[.feedback] == 0 })
        let summary = try await other.train()
        #expect(summary.events == 0 && summary.otherModelEvents == 24 && !summary.applied)
    }

    /// A process that asks for no encoder precision (`GANTRY_ENCODER_PRECISION` unset) serves a
    /// store at the precision its tools were embedded at, as the store's other processes do:
    /// nothing embedded again, the same identity (so its adapter and feedback stay usable).
    @Test func aStoreKeepsThePrecisionItsToolsWereEmbeddedAt() async throws {
        let path = temporaryStore()
        defer { Self.remove(path) }
        let bf16 = try MiniLMEncoder(precision: .bfloat16)
        try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: bf16).register(catalog)
        func stored() throws -> [Row] {
            try DatabaseQueue(path: path).read { try Row.fetchAll($0, sql: "SELECT name, CAST(model AS TEXT) AS model, vector FROM tool ORDER BY name") }
        }
        let before = try stored()
        #expect(before.count == catalog.count && before.allSatisfy { $0["model"] == bf16.modelIdentity })

        let reopened = try await AgentGantry(configuration: GantryConfiguration(storePath: path))
        if let requested = try MiniLMEncoder.requestedPrecision() {  // a setting wins over the store
            #expect(reopened.embedder.modelIdentity == (try MiniLMEncoder(precision: requested)).modelIdentity)
        } else {
            #expect(reopened.embedder.modelIdentity == bf16.modelIdentity)
            #expect(try stored() == before, "the tools were embedded again")
            let top = try await reopened.retrieveTools("post a message to the team's slack channel", limit: 1)
            #expect(top.first?.tool.name == "slack_notify")
        }
    }

    @Test func refusingAnotherModelLeavesTheStoreAsItWas() async throws {
        let path = try await Self.makeStore(feedback: 4)
        defer { Self.remove(path) }
        var configuration = GantryConfiguration(storePath: path)
        configuration.reembedOnModelChange = false
        do {
            _ = try await AgentGantry(configuration: configuration, embedder: Self.hashEmbedder(modelIdentity: "hash-b"))
            Issue.record("a store of hash-a opened with hash-b")
        } catch {
            #expect(error.description.contains("hash-a") && error.description.contains("hash-b"), "\(error)")
        }
        let models = try await DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT DISTINCT model FROM tool") }
        #expect(models == ["hash-a"])
    }

    /// An embedder that keeps a model's identity but gives vectors of another dimension is the
    /// embedder's fault, not the rows': the store is refused, nothing quarantined (an outside
    /// probe saw every tool quarantined, and the store empty for the right embedder after).
    @Test func anEmbedderWithTheSameIdentityAndAnotherDimensionIsRefused() async throws {
        let path = try await Self.makeStore(feedback: 4)
        defer { Self.remove(path) }
        // One damaged row must not turn the rule off (the other seven decide the dimension).
        // Nor a model stored as a BLOB (read as text when the rows load, so it must count here too).
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE tool SET vector = x'0000803f' WHERE name = 'tool_1'")
            try db.execute(sql: "UPDATE tool SET model = CAST(model AS BLOB) WHERE name = 'tool_2'")
        }
        do {
            _ = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: Self.hashEmbedder(dimension: 32))
            Issue.record("a 16-d store opened with a 32-d embedder of the same identity")
        } catch {
            #expect(error.description.contains("16-d") && error.description.contains("32-d"), "\(error)")
        }
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: Self.hashEmbedder())
        #expect(await gantry.tools.count == Self.tools.count - 1)
        #expect(try await gantry.quarantinedRows().map(\.key) == ["tool_1"])
    }

    /// A refused store keeps its bytes and its journal mode: refusing another model does not
    /// switch a rollback-journal file to WAL.
    @Test func refusingAStoreLeavesItsJournalModeAlone() async throws {
        let path = try await Self.makeStore()
        defer { Self.remove(path) }
        let queue = try DatabaseQueue(path: path)
        try await queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = delete") }
        try queue.close()
        let before = try BinaryFile.read(path)
        var configuration = GantryConfiguration(storePath: path)
        configuration.reembedOnModelChange = false
        await #expect(throws: GantryError.self) { try await AgentGantry(configuration: configuration, embedder: Self.hashEmbedder(modelIdentity: "hash-b")) }
        #expect(try BinaryFile.read(path) == before)
        // Nor is a store of an older schema migrated before it is refused.
        let old = path + ".v2"
        try FileManager.default.copyItem(atPath: StoreCompatibilityTests.fixture("store-58323a3.sqlite"), toPath: old)
        let oldBytes = try BinaryFile.read(old)
        configuration.storePath = old
        await #expect(throws: GantryError.self) { try await AgentGantry(configuration: configuration, embedder: Self.hashEmbedder(modelIdentity: "hash-b")) }
        #expect(try BinaryFile.read(old) == oldBytes)
    }

    /// On a read-only mount, a store whose write-ahead log holds commits but has no shared-memory
    /// file cannot be read up to date (an immutable open would serve the file without the log):
    /// it is refused, saying what to do.
    @Test func aReadOnlyStoreWithUnfoldedCommitsIsRefused() async throws {
        guard getuid() == 0 else { return }  // needs a read-only mount (bind mounts need root)
        let path = try await Self.makeStore()
        defer { Self.remove(path) }
        let folder = (path as NSString).deletingLastPathComponent
        let copy = folder + "/copy"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        let writer = try DatabaseQueue(path: path)
        try await writer.write { try $0.execute(sql: "UPDATE tool SET updatedAt = updatedAt + 1") }  // a commit in the log
        for suffix in ["", "-wal"] { try FileManager.default.copyItem(atPath: path + suffix, toPath: copy + "/gantry.sqlite" + suffix) }
        try writer.close()
        let undo = try Self.makeReadOnly(copy + "/gantry.sqlite")
        defer { undo() }
        do {
            _ = try await AgentGantry(configuration: GantryConfiguration(storePath: copy + "/gantry.sqlite"), embedder: Self.hashEmbedder())
            Issue.record("a store with unfolded commits opened on a read-only mount")
        } catch {
            #expect(error.description.contains("-wal holds"), "\(error)")
        }
    }
}
