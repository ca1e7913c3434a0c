import Foundation

/// A lease of the store, held by one process at a time (`AgentGantry.takeLease(_:)`) until it is
/// released, deallocated, or its process ends.
public final class GantryLease: @unchecked Sendable {
    /// The lease's name.
    public let name: String
    private let lock = NSLock()
    private var held: (any StoreOpeningLock)?

    init(name: String, held: any StoreOpeningLock) {
        self.name = name
        self.held = held
    }

    /// Lets another process take the lease (also done when the lease is deallocated).
    public func release() {
        lock.lock()
        defer { lock.unlock() }
        held?.release()
        held = nil
    }

    deinit { release() }
}

extension AgentGantry {
    /// Takes the store's lease `name` (1 to 64 of a-z, 0-9, `.`, `_` and `-`) without waiting:
    /// nil while another process holds it. One process of those sharing a store does a job that
    /// must run once — supervising the MCP servers whose tools they route, say — and another takes
    /// over when it ends, however it ends: the lease is a lock of the store (a lock file beside a
    /// SQLite file, a session advisory lock of the PostgreSQL schema), released by the system
    /// with its process. Try again now and then to take over.
    public nonisolated func takeLease(_ name: String) async throws(GantryError) -> GantryLease? {
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || ".-_".unicodeScalars.contains($0) }
        guard (1...64).contains(name.count), allowed else {
            throw .invalidInput("a lease's name is 1 to 64 of a-z, 0-9, '.', '_' and '-', not \"\(name)\"")
        }
        guard let held = try await store.takeLease(name) else { return nil }
        return GantryLease(name: name, held: held)
    }
}
