import AgentGantry
import AgentGantryPostgres
import ArgumentParser
import Foundation

/// `gantry store copy|backup|restore`: a whole store into another (`StoreCopy`), or into a new
/// SQLite file.
struct StoreTransfer {
    let from: StoreLocation, to: StoreLocation

    /// Copies `from` into `to` and prints what `to` then holds. A new SQLite file is written
    /// whole or not at all: a SQLite source by `SQLiteStore.backup(to:)`, any other through a
    /// temporary store beside it; an existing store must be empty.
    func run() async throws {
        let source = try await from.openStore(create: false, hint: "give the SQLite file of an AgentGantry store, or a postgres:// URL")
        Self.log("copying \(from) into \(to)")
        let target: any GantryStore
        switch to {
        case .file(let path) where !FileManager.default.fileExists(atPath: path):
            let path = SQLiteStore.absolutePath(path)
            if let source = source as? SQLiteStore {
                try source.backup(to: path)
            } else {
                let temporary = path + ".partial-\(UUID().uuidString)"
                defer { Self.removeStore(temporary) }
                try await Self.copy(from: source, to: SQLiteStore(path: temporary)).backup(to: path)
            }
            target = try SQLiteStore(path: path)
        default:
            target = try await Self.copy(from: source, to: to.openStore(create: true, hint: ""))
        }
        try await StoreCommand.printSummary(of: target)
    }

    /// `StoreCopy.copy(from:to:)`, returning the target; prints damaged rows left out.
    private static func copy<Target: GantryStore>(from source: any GantryStore, to target: Target) async throws -> Target {
        let copied = try await StoreCopy.copy(from: source, to: target)
        if copied.damagedRowsLeftOut > 0 { log("copied \(copied)") }
        return target
    }

    /// Removes a SQLite store's file and the files SQLite and the store keep beside it.
    private static func removeStore(_ path: String) {
        let folder = (path as NSString).deletingLastPathComponent, name = (path as NSString).lastPathComponent
        for file in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where file.hasPrefix(name) {
            try? FileManager.default.removeItem(atPath: folder + "/" + file)
        }
    }

    private static func log(_ line: String) {
        FileHandle.standardError.write(Data(("gantry store: " + line + "\n").utf8))
    }
}

extension StoreCommand {
    /// `gantry store copy`.
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy a whole store into a new one: a SQLite file into PostgreSQL, a database into a SQLite file, or either into "
                + "one of its kind.",
            discussion: """
                Copies the tools of every model with their embeddings, every event with its id (breakers come with them), every \
                adapter version (withdrawn ones too) and the quarantined rows, from one snapshot of the source: processes may keep \
                using it. The target must be new: a file that does not exist (written whole or not at all), or a database or schema \
                that holds nothing (written in one transaction).
                """)

        @Option(help: "The store to copy: a SQLite file or a postgres:// URL.") var from: String
        @Option(help: "The new store: a SQLite file or a postgres:// URL.") var to: String

        func run() async throws {
            try await StoreTransfer(from: StoreLocation(from, flag: "--from"), to: StoreLocation(to, flag: "--to")).run()
        }
    }

    /// `gantry store backup`.
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Back a store up into a new SQLite file while processes keep using it.",
            discussion: """
                A SQLite store is copied by SQLite's VACUUM INTO (every row as stored); a PostgreSQL store as `gantry store copy` \
                copies it. The file appears only once it is whole, and an existing file is never replaced. \
                `gantry store restore --from FILE --to STORE` brings it back.
                """)

        @Option(help: "The store: a SQLite file or a postgres:// URL (default: $GANTRY_STORE_URL).") var from: String?
        @Option(help: "The backup: a SQLite file that does not exist yet.") var to: String

        func run() async throws {
            let target = try StoreLocation(to, flag: "--to")
            guard case .file(let path) = target else {
                throw ValidationError("--to takes a file: a backup is a SQLite file (copy into a database with `gantry store copy`)")
            }
            guard !FileManager.default.fileExists(atPath: path) else {
                throw ValidationError("\(path) exists: a backup goes into a new file (remove it, or give another name)")
            }
            try await StoreTransfer(from: StoreLocation(from, flag: "--from"), to: target).run()
        }
    }

    /// `gantry store restore`.
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Restore a backup (a SQLite file) into a new store: a file that does not exist, or an empty PostgreSQL database or schema.",
            discussion: """
                To put a backup back in place of a damaged store, stop the processes that use it and move the store aside (or drop \
                the schema) first: restore never writes into a store that holds anything.
                """)

        @Option(help: "The backup: a SQLite file.") var from: String
        @Option(help: "The new store: a SQLite file or a postgres:// URL (default: $GANTRY_STORE_URL).") var to: String?

        func run() async throws {
            let source = try StoreLocation(from, flag: "--from")
            guard case .file = source else {
                throw ValidationError("--from takes a backup file (copy from a database with `gantry store copy`)")
            }
            try await StoreTransfer(from: source, to: StoreLocation(to, flag: "--to")).run()
        }
    }
}
