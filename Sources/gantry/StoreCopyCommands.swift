import AgentGantry
import AgentGantryPostgres
import ArgumentParser
import Foundation

/// `gantry store copy|backup|restore`: a whole store into another (`StoreCopy`), or into a new
/// SQLite file.
struct StoreTransfer {
    let from: StoreLocation, to: StoreLocation
    /// A backup: the new file is left exactly as written (not opened, so not migrated), and the
    /// command prints its size instead of what it holds.
    var leavesTargetUnopened = false

    /// Copies `from` into `to` and prints what `to` then holds. A new SQLite file is written
    /// whole or not at all: from a SQLite file by `SQLiteStore.backup(file:to:)` (which never
    /// writes the source), from PostgreSQL through a temporary store beside it; an existing
    /// target must be an empty store.
    func run() async throws {
        let hint = "give the SQLite file of an AgentGantry store, or a postgres:// URL"
        Self.log("copying \(from) into \(to)")
        var target: (any GantryStore)?
        switch (from, to) {
        case (.file(let source), .file(let path)) where !FileManager.default.fileExists(atPath: path):
            try from.requireExisting(hint: hint)
            try SQLiteStore.backup(file: source, to: path)
        case (_, .file(let path)) where !FileManager.default.fileExists(atPath: path):
            let path = SQLiteStore.absolutePath(path)
            let source = try await from.openStore(create: false, hint: hint)
            let temporary = path + ".partial-\(UUID().uuidString)"
            defer { Self.removeStore(temporary) }
            try await Self.copy(from: source, to: SQLiteStore(path: temporary)).backup(to: path)
        default:
            let source = try await from.openStore(create: false, hint: hint)
            let create = if case .postgres = to { true } else { false }  // an existing file must already be a store
            target = try await Self.copy(from: source, to: to.openStore(create: create, hint: "copy into a new file, or an empty store"))
        }
        if leavesTargetUnopened, case .file(let path) = to {
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            print("\(SQLiteStore.absolutePath(path)): a backup of \(bytes) bytes (`gantry store restore --from` it)")
            return
        }
        let opened: any GantryStore
        if let target { opened = target } else { opened = try await to.openStore(create: false, hint: hint) }
        try await StoreCommand.printSummary(of: opened)
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

        @Option(help: "The store to copy: a SQLite file or a postgres:// URL (no default: a copy names both stores).") var from: String
        @Option(help: "The new store: a SQLite file or a postgres:// URL.") var to: String

        func validate() throws {
            _ = try StoreLocation(from, flag: "--from")
            _ = try StoreLocation(to, flag: "--to")
        }

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
                A SQLite store is copied by SQLite's VACUUM INTO (every row as stored) without being opened as a store, so it is \
                never migrated or written (a backup taken before an upgrade stays the old version's); a PostgreSQL store as \
                `gantry store copy` copies it. The file appears only once it is whole, and an existing file is never replaced. \
                `gantry store restore --from FILE --to STORE` brings it back.
                """)

        @Option(help: "The store: a SQLite file or a postgres:// URL (default: $GANTRY_STORE_URL).") var from: String?
        @Option(help: "The backup: a SQLite file that does not exist yet.") var to: String

        func validate() throws {
            _ = try StoreLocation(from, flag: "--from")
            guard case .file = try StoreLocation(to, flag: "--to") else {
                throw ValidationError("--to takes a file: a backup is a SQLite file (copy into a database with `gantry store copy`)")
            }
        }

        func run() async throws {
            let target = try StoreLocation(to, flag: "--to")
            if case .file(let path) = target, FileManager.default.fileExists(atPath: path) {
                throw GantryError.invalidInput("\(path) exists: a backup goes into a new file (remove it, or give another name)")
            }
            try await StoreTransfer(from: StoreLocation(from, flag: "--from"), to: target, leavesTargetUnopened: true).run()
        }
    }

    /// `gantry store restore`.
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Restore a backup (a SQLite file) into a new store: a file that does not exist, or an empty PostgreSQL database or schema.",
            discussion: """
                To put a backup back in place of a damaged store, stop the processes that use it and move the store aside with its \
                -wal and -shm files (or drop the schema) first: restore writes only into a new file or a store that holds nothing \
                (an empty one made by `gantry store info --create` too).
                """)

        @Option(help: "The backup: a SQLite file.") var from: String
        @Option(help: "The new store: a SQLite file or a postgres:// URL (default: $GANTRY_STORE_URL).") var to: String?

        func validate() throws {
            guard case .file = try StoreLocation(from, flag: "--from") else {
                throw ValidationError("--from takes a backup file (copy from a database with `gantry store copy`)")
            }
            _ = try StoreLocation(to, flag: "--to")
        }

        func run() async throws {
            try await StoreTransfer(from: StoreLocation(from, flag: "--from"), to: StoreLocation(to, flag: "--to")).run()
        }
    }
}
