import Foundation
import GRDB

/// Switches a store's file to WAL mode once, when first needed (the first write or migration),
/// so that a store opened and then refused (a newer schema, another model) keeps its journal
/// mode and its bytes. Thread-safe (an `NSLock`: visible to the thread sanitizer).
final class WALSwitch: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    /// Puts the file of `database` in WAL mode unless it is in memory (`path` nil) or done already.
    func ensure(_ database: DatabaseQueue, path: String?) throws {
        guard path != nil else { return }
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        try database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL") }
        done = true
    }
}
